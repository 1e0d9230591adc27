# From runs to tables. Each experiment's aggregation waits for its settings' manifests (one per
# training job), reads each of its runs once by its path and writes its runs table, its
# comparison table (per configuration, across seeds), its curve quantiles on the shared
# logged-epoch grid and the plateau's mechanism (per snapshot, and the Hessian spectrum at three
# points of each run); the study's runs table is the union of the experiments' ones.
# Adding a value (or seeds) to one experiment re-aggregates the experiments with those settings.


rule aggregate_experiment:
    input:
        experiment_manifests,
    output:
        runs=EXPERIMENT_TABLES.replace("{table}", "runs.parquet"),
        comparison=EXPERIMENT_TABLES.replace("{table}", "comparison.parquet"),
        markdown=EXPERIMENT_TABLES.replace("{table}", "comparison.md"),
        quantiles=EXPERIMENT_TABLES.replace("{table}", "curve_quantiles.parquet"),
        final_weights=EXPERIMENT_TABLES.replace("{table}", "final_weights.parquet"),
        mechanism=EXPERIMENT_TABLES.replace("{table}", "mechanism.parquet"),
        curvature=EXPERIMENT_TABLES.replace("{table}", "curvature.parquet"),
    log:
        f"{LOGS}/aggregate/{{experiment}}.log",
    conda:
        "../envs/backprop-study.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        grid=experiment_grid,
        runs_root=RUNS_ROOT,
        code=ANALYSIS_CODE,
    shell:
        "backprop-study aggregate experiment --grid {params.grid:q}"
        " --runs-root {params.runs_root:q} --runs-out {output.runs:q}"
        " --comparison-out {output.comparison:q} --markdown-out {output.markdown:q}"
        " --quantiles-out {output.quantiles:q}"
        " --final-weights-out {output.final_weights:q}"
        " --mechanism-out {output.mechanism:q} --curvature-out {output.curvature:q}"
        " > {log:q} 2>&1"


rule runs_table:
    input:
        # The stamp first: a results folder says what its runs were named against.
        settings=SETTINGS_STAMP,
        tables=expand(EXPERIMENT_TABLES, experiment=EXPERIMENTS, table="runs.parquet"),
    output:
        RUNS_TABLE,
    log:
        f"{LOGS}/aggregate/runs_table.log",
    conda:
        "../envs/backprop-study.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=ANALYSIS_CODE,
    shell:
        "backprop-study aggregate runs-table {input.tables:q} --out {output:q} > {log:q} 2>&1"
