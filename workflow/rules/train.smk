# One training job per part of a setting's seeds: a setting is one combination of run settings
# (a run path without its /seed~N, see common.smk), and its sorted seeds are cut into parts of
# up to 32 (Study.seed_parts; 10 seeds are one job, 100 three). Its params are its settings as
# one canonical JSON (the engine settings that differ from RunConfig's defaults, its seeds, the
# engine; Study.job_settings), the engine fingerprint and the integrity digest of its runs, so
# changing any of them reruns exactly the jobs concerned, while editing aggregation or plotting
# code retrains nothing.
# A damaged, deleted or replaced run changes the integrity digest (read-only, common.smk).
#
# Snakemake deletes a job's outputs before it runs it (all but `update()` ones), so the runs
# are not outputs: the one output is the job's manifest (its seeds and each run's checksums
# digest), which the job replaces atomically once its runs are done. When the job
# reruns, `backprop-study train-seeds` sets a damaged run's files aside (*.damaged), keeps every
# run whose files hold exactly what it would write (same settings and seed, same engine and
# fingerprint, intact) and trains the rest (eight at a time through the lane kernel), each
# written atomically. So adding seeds trains only the new seeds, an engine edit retrains every
# run, and a killed job's finished runs are kept by the next call.
# Resources: one core; the runtime is the sum of its seeds' epoch budgets.


rule train:
    input:
        # Written before any run: it names what the folder's run paths mean (common.smk).
        ancient(SETTINGS_STAMP),
    output:
        # Kept while the job runs (restored if it fails): what the integrity digest reads.
        update(SEEDS_MANIFEST),
    log:
        f"{LOGS}/train/{{setting}}/seeds-{{part}}.log",
    benchmark:
        benchmark_path("train", "{setting}/seeds-{part}")
    threads: 1
    resources:
        mem_mb=by_attempt(1000),
        runtime=by_attempt(train_runtime),
    params:
        settings=train_settings,
        integrity=train_integrity,
        root=lambda wildcards: f"{RUNS_ROOT}/{wildcards.setting}",
        engine_fingerprint=ENGINE_FINGERPRINT,
    shell:
        "backprop-study train-seeds --settings {params.settings:q}"
        " --integrity={params.integrity:q} --root {params.root:q} --manifest {output:q}"
        " > {log:q} 2>&1"


# The study-wide settings the results folder's run paths are named against (see common.smk).
# Local: a few bytes, needed before every training job.
localrules:
    study_settings,


rule study_settings:
    output:
        SETTINGS_STAMP,
    log:
        f"{LOGS}/aggregate/study_settings.log",
    benchmark:
        benchmark_path("study_settings")
    threads: 1
    resources:
        mem_mb=by_attempt(500),
        runtime=by_attempt(5),
    params:
        settings=STUDY.settings_json(),
    shell:
        "backprop-study aggregate settings {params.settings:q} --out {output:q} > {log:q} 2>&1"
