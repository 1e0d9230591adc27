# One training job per part of a setting's seeds: a setting is one combination of run settings
# (a run path without its /seed~N, see common.smk), and its sorted seeds are cut into parts of
# up to 32 (Study.seed_parts; 10 seeds are one job, 100 three). Its params hold every engine
# option (so also what is not in the path: epochs, init_std, the logging and snapshot
# schedules), its seeds and the engine fingerprint, so changing any of them reruns exactly the
# jobs concerned, while editing aggregation or plotting code retrains nothing.
#
# Snakemake deletes a job's outputs before it runs it, so the runs are not outputs: the one
# output is the job's manifest (its seeds and each run's checksums digest). When the job
# reruns, `backprop-study train-seeds` keeps every run whose files hold exactly what it would
# write (same settings and seed, same engine and fingerprint, intact) and trains the rest (eight
# at a time through the lane kernel), each written atomically. So adding seeds trains only the new seeds, an engine
# edit retrains every run, and a killed job's finished runs are kept by the next call.
# Resources: one core; the runtime is the sum of its seeds' epoch budgets.


rule train:
    output:
        SEEDS_MANIFEST,
    log:
        f"{LOGS}/train/{{setting}}/seeds-{{part}}.log",
    conda:
        "../envs/backprop-study.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=train_runtime,
    params:
        args=train_args,
        seeds=train_seeds,
        root=lambda wildcards: f"{RUNS_ROOT}/{wildcards.setting}",
        engine_fingerprint=ENGINE_FINGERPRINT,
    shell:
        "backprop-study train-seeds {params.args:q} --seeds {params.seeds:q}"
        " --root {params.root:q} --manifest {output:q} > {log:q} 2>&1"
