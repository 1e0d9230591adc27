# The plateau law (docs/plateau-theory.md), per encoder setting of the config's escape_*
# experiments (config/theory.yaml): predicted against measured slope, mu and critical lambda.
# Each job trains its own full-batch runs (the bisection needs runs chosen as it goes), so it
# waits for no training job. Not part of `all`: `snakemake --configfile config/theory.yaml theory`.
from backprop_study.study.theory_settings import command_args, settings_of

THEORY_SETTINGS = settings_of(config)
THEORY_TABLE = f"{RESULTS}/tables/theory/{{setting}}_{{table}}.parquet"


rule theory_setting:
    output:
        law=THEORY_TABLE.replace("{table}", "law"),
        escapes=THEORY_TABLE.replace("{table}", "escapes"),
        critical=THEORY_TABLE.replace("{table}", "critical"),
    log:
        f"{LOGS}/theory/{{setting}}.log",
    benchmark:
        benchmark_path("theory_setting", "{setting}")
    threads: 1
    resources:
        mem_mb=by_attempt(1000),
        runtime=by_attempt(240),
    params:
        args=lambda wildcards: command_args(THEORY_SETTINGS[wildcards.setting]),
        code=ANALYSIS_CODE,
    shell:
        "backprop-study theory {params.args} --law-out {output.law:q}"
        " --escapes-out {output.escapes:q} --critical-out {output.critical:q} > {log:q} 2>&1"


rule theory:
    input:
        expand(
            THEORY_TABLE, setting=THEORY_SETTINGS, table=["law", "escapes", "critical"]
        ),
