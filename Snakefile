# The backprop study: `snakemake --cores 8` trains every run of config/config.yaml, aggregates
# them, draws the figures and writes the HTML study report; a second call does nothing.
# Rules live in workflow/rules/; the science lives in the backprop_study package.
# Software: every rule runs the `backprop-study` command of the environment Snakemake runs in,
# the venv from requirements.lock (on SLURM the same venv, shared with the compute nodes). No
# rule declares a conda environment or container, which no test could build, so `snakemake
# --lint` asks for one per rule: the one lint kept on purpose (README, "Software routes").
from snakemake.utils import min_version

min_version("9.0")


# The default study unless config files are given (`--configfile`): a config file is the whole
# config, also in the jobs a cluster runs (Snakemake does not pass --replace-workflow-config on).
# Files of the repository are found beside this Snakefile, outputs in the working directory, so
# `snakemake --directory DIR` writes the study's results into DIR.
if not workflow.overwrite_configfiles:

    configfile: workflow.source_path("config/config.yaml")


report: "report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/theory.smk"


rule all:
    default_target: True
    input:
        SETTINGS_STAMP,
        RUNS_TABLE,
        rules.curves_table.output,
        expand(EXPERIMENT_TABLES, experiment=EXPERIMENTS, table=TABLE_NAMES),
        expand(FIGURE_PATH, figure=FIGURES),
        STUDY_REPORT,
