# One training job per run. The run's path ({run}, see common.smk) names its parameters; its
# params hold every engine option (so also what is not in the path: epochs, init_std, the
# logging and snapshot schedules) and the engine fingerprint, so changing any of them retrains
# exactly the runs concerned, while editing aggregation or plotting code retrains nothing.


rule train:
    output:
        curve=f"{RUNS_ROOT}/{{run}}/curve.parquet",
        weights=f"{RUNS_ROOT}/{{run}}/weights.parquet",
        hidden=f"{RUNS_ROOT}/{{run}}/hidden.parquet",
    log:
        f"{LOGS}/train/{{run}}.log",
    conda:
        "../envs/backprop-study.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=train_runtime,
    params:
        args=train_args,
        engine_fingerprint=ENGINE_FINGERPRINT,
    shell:
        "backprop-study train {params.args:q} --no-progress"
        ' --out "$(dirname {output.curve:q})" > {log:q} 2>&1'
