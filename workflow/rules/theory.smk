# The plateau law (docs/plateau-theory.md), per encoder setting of the config's escape_* and
# law_* experiments (config/theory.yaml): predicted against measured slope, mu and critical lambda.
# Each job trains its own full-batch runs (the bisection needs runs chosen as it goes), so it
# waits for no training job. Not part of `all`: `snakemake theory --configfile config/theory.yaml`.
import re

from backprop_study.study.theory_settings import command_args, settings_of

THEORY_SETTINGS = settings_of(config)
THEORY_TABLE = f"{RESULTS}/tables/theory/{{law_setting}}_{{table}}.parquet"


rule theory_setting:
    output:
        law=THEORY_TABLE.replace("{table}", "law"),
        escapes=THEORY_TABLE.replace("{table}", "escapes"),
        critical=THEORY_TABLE.replace("{table}", "critical"),
        probes=THEORY_TABLE.replace("{table}", "probes"),
    log:
        f"{LOGS}/theory/{{law_setting}}.log",
    benchmark:
        benchmark_path("theory_setting", "{law_setting}")
    wildcard_constraints:
        law_setting="|".join(re.escape(name) for name in THEORY_SETTINGS) or "(?!)",
    threads: 1
    resources:
        mem_mb=by_attempt(1000),
        runtime=by_attempt(240),
    params:
        args=lambda wildcards: command_args(THEORY_SETTINGS[wildcards.law_setting]),
        code=ANALYSIS_CODE,
    shell:
        "backprop-study theory {params.args} --law-out {output.law:q}"
        " --escapes-out {output.escapes:q} --critical-out {output.critical:q}"
        " --probes-out {output.probes:q} > {log:q} 2>&1"


rule theory:
    input:
        expand(
            THEORY_TABLE,
            law_setting=THEORY_SETTINGS,
            table=["law", "escapes", "critical", "probes"],
        ),
        f"{RESULTS}/tables/law/law_table.md",
        f"{RESULTS}/figures/law/law.png",


LAW_TABLES = f"{RESULTS}/tables/law"
LAW_FIGURES = f"{RESULTS}/figures/law"


rule law_family:
    input:
        laws=expand(THEORY_TABLE, law_setting=THEORY_SETTINGS, table=["law"]),
    output:
        table=f"{LAW_TABLES}/law_table.parquet",
        markdown=f"{LAW_TABLES}/law_table.md",
        claims=f"{LAW_TABLES}/law_claims.parquet",
    log:
        f"{LOGS}/theory/law_family.log",
    benchmark:
        benchmark_path("law_family")
    threads: 1
    resources:
        mem_mb=by_attempt(500),
        runtime=by_attempt(5),
    params:
        code=ANALYSIS_CODE,
    shell:
        "backprop-study law-family --laws {input.laws:q} --table-out {output.table:q}"
        " --markdown-out {output.markdown:q} --claims-out {output.claims:q} > {log:q} 2>&1"


rule law_figures:
    input:
        table=rules.law_family.output.table,
        probes=expand(THEORY_TABLE, law_setting=THEORY_SETTINGS, table=["probes"]),
        critical=expand(THEORY_TABLE, law_setting=THEORY_SETTINGS, table=["critical"]),
    output:
        law=f"{LAW_FIGURES}/law.png",
        divergence=f"{LAW_FIGURES}/divergence.png",
    log:
        f"{LOGS}/theory/law_figures.log",
    benchmark:
        benchmark_path("law_figures")
    threads: 1
    resources:
        mem_mb=by_attempt(1000),
        runtime=by_attempt(5),
    shell:
        "backprop-study law-figures --table {input.table:q} --probes {input.probes:q}"
        " --critical {input.critical:q} --law-out {output.law:q}"
        " --divergence-out {output.divergence:q} > {log:q} 2>&1"
