import glob

import os

from backprop_study.study.config import figure_formats

# Figures, one job per experiment: the experiment's figures are drawn in one process from its
# tables (and the tables of experiments a figure also reads) and the few runs it draws weights
# of. Each figure is its own output, marked for `snakemake --report` with its own caption (a
# file the job writes beside the figures, named by absolute path: captions are read from the
# working directory, not the workflow's), category and labels. Other formats in
# `figure_formats` are written beside each PNG by the same job.
FIGURE_FORMATS = figure_formats(config)
FIGURE_GROUPS = figure_specs.by_experiment(STUDY.experiments)
CAPTIONS = f"{RESULTS}/figures/captions"
FIGURE_TABLES = ("runs", "curve_quantiles", "mechanism", "curvature")


for experiment, specs in FIGURE_GROUPS.items():
    read_experiments, read_runs = figure_specs.group_reads(specs, STUDY.experiments)

    rule:
        name:
            f"figures_{experiment}"
        input:
            tables=[
                EXPERIMENT_TABLES.format(experiment=name, table=f"{table}.parquet")
                for name in read_experiments
                for table in FIGURE_TABLES
            ],
            manifests=manifests(read_runs),
        output:
            figures=[
                report(
                    FIGURE_PATH.format(figure=spec.name),
                    caption=os.path.abspath(f"{CAPTIONS}/{spec.name}.rst"),
                    category="Figures",
                    subcategory=spec.experiment,
                    labels={"figure": spec.title},
                )
                for spec in specs
            ],
            other_formats=[
                FIGURE_PATH.format(figure=spec.name).removesuffix(".png") + f".{fmt}"
                for spec in specs
                for fmt in FIGURE_FORMATS
                if fmt != "png"
            ],
            captions=[f"{CAPTIONS}/{spec.name}.rst" for spec in specs],
        log:
            f"{LOGS}/figures/{experiment}.log",
        benchmark:
            benchmark_path(f"figures_{experiment}")
        # On a cluster, with the other post-training jobs (profiles/slurm names those by rule;
        # these rules' names depend on the config). Local runs ignore groups.
        group:
            "summaries"
        threads: 1
        resources:
            mem_mb=by_attempt(2000),
            runtime=by_attempt(10),
        params:
            names=[spec.name for spec in specs],
            grids=[STUDY.experiments[name].grid_json() for name in read_experiments],
            run_args=[
                arg for r in read_runs for arg in ("--run", f"{RUNS_ROOT}/{r.run_id}")
            ],
            tables=lambda wildcards, input: os.path.dirname(
                os.path.dirname(input.tables[0])
            ),
            out_dir=lambda wildcards, output: os.path.dirname(output.figures[0]),
            captions=lambda wildcards, output: os.path.dirname(output.captions[0]),
            formats=[fmt for fmt in FIGURE_FORMATS if fmt != "png"],
            code=REPORTING_CODE,
        shell:
            "backprop-study figure {params.names:q} --grid {params.grids:q}"
            " --tables {params.tables:q} {params.run_args:q} --out-dir {params.out_dir:q}"
            " --formats png {params.formats:q} --captions {params.captions:q}"
            " > {log:q} 2>&1"


# The self-contained HTML study report, also marked for `snakemake --report`.
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
