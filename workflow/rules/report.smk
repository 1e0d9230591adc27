import glob

# Figures (one job per figure, each reading only its experiment's aggregates and the few runs it
# draws weights of) and the self-contained HTML study report. Figures and the report are marked
# for `snakemake --report results/report.html`.


rule figure:
    input:
        unpack(figure_inputs),
    output:
        report(
            FIGURE_PATH,
            caption="../../report/figure.rst",
            category="Figures",
            subcategory=lambda wildcards: figure_spec(wildcards).experiment,
            labels=lambda wildcards: {"figure": figure_spec(wildcards).title},
        ),
    log:
        f"{LOGS}/figures/{{figure}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=lambda wildcards: figure_spec(wildcards).caption,
        grid=lambda wildcards: STUDY.experiments[
            figure_spec(wildcards).experiment
        ].grid_json(),
        run_args=figure_run_args,
        code=REPORTING_CODE,
    shell:
        "backprop-study figure {wildcards.figure:q} --grid {params.grid:q}"
        " --quantiles {input.quantiles:q} --runs-table {input.runs:q}"
        " --mechanism {input.mechanism:q} --curvature {input.curvature:q}"
        " {params.run_args:q} --out {output:q} > {log:q} 2>&1"


rule study_report:
    input:
        template=repository_path("report/study.html.j2"),
        sections=sorted(glob.glob(repository_path("report/sections/*.html.j2"))),
        runs=RUNS_TABLE,
        claims=CLAIMS_TABLE,
        findings=FINDINGS_TABLE,
        figures=expand(FIGURE_PATH, figure=FIGURES),
    output:
        report(
            STUDY_REPORT,
            caption="../../report/study_report.rst",
            category="Study report",
        ),
    log:
        f"{LOGS}/report/study_report.log",
    benchmark:
        benchmark_path("study_report")
    threads: 1
    resources:
        mem_mb=by_attempt(2000),
        runtime=by_attempt(10),
    params:
        study=STUDY_JSON,
        code=REPORTING_CODE,
    shell:
        "backprop-study report --study {params.study:q} --template {input.template:q}"
        " --runs-table {input.runs:q} --claims {input.claims:q}"
        " --findings {input.findings:q} --figure {input.figures:q}"
        " --out {output:q} > {log:q} 2>&1"
