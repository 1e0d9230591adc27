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
    benchmark:
        benchmark_path("aggregate_experiment", "{experiment}")
    threads: 1
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(30),
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
    benchmark:
        benchmark_path("runs_table")
    threads: 1
    resources:
        mem_mb=by_attempt(2000),
        runtime=by_attempt(10),
    params:
        code=ANALYSIS_CODE,
    shell:
        "backprop-study aggregate runs-table {input.tables:q} --out {output:q} > {log:q} 2>&1"


# Every run's logged curve in one Parquet file (run_id, setting, seed, then the curve's
# columns), for notebooks: `backprop_study.load(...).curves()` reads it in one call.
rule curves_table:
    input:
        RUNS_TABLE,
    output:
        f"{RESULTS}/tables/curves.parquet",
    log:
        f"{LOGS}/aggregate/curves_table.log",
    benchmark:
        benchmark_path("curves_table")
    threads: 1
    resources:
        mem_mb=by_attempt(2000),
        runtime=by_attempt(30),
    params:
        runs_root=RUNS_ROOT,
        code=ANALYSIS_CODE,
    shell:
        "backprop-study aggregate curves --runs-table {input:q} --runs-root {params.runs_root:q}"
        " --out {output:q} > {log:q} 2>&1"


# The study's findings, which the report only renders: the seed's claims tested (one row per
# claim, compared settings and measure; diff two studies' claims.md to see a verdict move) and
# every other number the report states, each with its key, interval, unit and runs.
CLAIMS_TABLE = f"{RESULTS}/tables/claims.parquet"
CLAIMS_MARKDOWN = f"{RESULTS}/tables/claims.md"
FINDINGS_TABLE = f"{RESULTS}/tables/findings.parquet"


rule claims_table:
    input:
        runs=RUNS_TABLE,
        final_weights=expand(
            EXPERIMENT_TABLES, experiment=EXPERIMENTS, table="final_weights.parquet"
        ),
    output:
        table=CLAIMS_TABLE,
        markdown=CLAIMS_MARKDOWN,
    log:
        f"{LOGS}/aggregate/claims_table.log",
    benchmark:
        benchmark_path("claims_table")
    threads: 1
    resources:
        mem_mb=by_attempt(2000),
        runtime=by_attempt(20),
    params:
        study=STUDY_JSON,
        code=ANALYSIS_CODE,
    shell:
        "backprop-study findings claims --study {params.study:q}"
        " --runs-table {input.runs:q} --final-weights {input.final_weights:q}"
        " --out {output.table:q} --markdown-out {output.markdown:q} > {log:q} 2>&1"


rule findings_table:
    input:
        runs=RUNS_TABLE,
        final_weights=expand(
            EXPERIMENT_TABLES, experiment=EXPERIMENTS, table="final_weights.parquet"
        ),
        mechanism=expand(
            EXPERIMENT_TABLES, experiment=EXPERIMENTS, table="mechanism.parquet"
        ),
        curvature=expand(
            EXPERIMENT_TABLES, experiment=EXPERIMENTS, table="curvature.parquet"
        ),
        curves=rules.curves_table.output[0],
    output:
        FINDINGS_TABLE,
    log:
        f"{LOGS}/aggregate/findings_table.log",
    benchmark:
        benchmark_path("findings_table")
    threads: 1
    resources:
        mem_mb=by_attempt(2000),
        runtime=by_attempt(20),
    params:
        study=STUDY_JSON,
        code=ANALYSIS_CODE,
    shell:
        "backprop-study findings table --study {params.study:q}"
        " --runs-table {input.runs:q} --final-weights {input.final_weights:q}"
        " --mechanism {input.mechanism:q} --curvature {input.curvature:q}"
        " --curves {input.curves:q} --out {output:q} > {log:q} 2>&1"
