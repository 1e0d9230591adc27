# The plateau law (docs/plateau-theory.md), per encoder setting of the config's escape_*
# experiments (config/theory.yaml): predicted against measured slope, mu and critical lambda.
# Each job trains its own full-batch runs (the bisection needs runs chosen as it goes), so it
# waits for no training job. Not part of `all`: `snakemake --configfile config/theory.yaml theory`.
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
    wildcard_constraints:
        law_setting="|".join(re.escape(name) for name in THEORY_SETTINGS) or "(?!)",
    conda:
        "../envs/backprop-study.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,
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
