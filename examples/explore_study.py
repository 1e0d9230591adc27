# %% [markdown]
# # Exploring a finished study
#
# Open this file as a notebook (VS Code, or `jupytext --to notebook`) or run it as a script after
# `snakemake --cores 2 --configfile config/quick.yaml`. Set `BACKPROP_RESULTS` to read another
# results folder than the quick study's.

# %%
import os

import matplotlib.pyplot as plt

import backprop_study

study = backprop_study.load(os.environ.get("BACKPROP_RESULTS", "results/quick"))
print(study, study.experiments)

# %% [markdown]
# One row per run: its settings, seed, outcome and summary. `setting` is the run's path without
# the seed; `experiments` lists the experiments that have the run.

# %%
runs = study.runs
print(runs[["run_id", "setting", "experiments", "lam", "seed", "first_solved"]].head().to_string())

# %% [markdown]
# An experiment's comparison has one row per setting; each run joins to its setting's row.

# %%
comparison = study.comparison("weight_decay")
joined = runs.merge(comparison, on="setting", suffixes=("", "_setting"))
print(
    joined[
        ["run_id", "lam", "final_data_loss", "final_data_loss_median", "success_rate"]
    ].to_string()
)

# %% [markdown]
# Every run's logged curve in one call (run_id, setting, seed, epoch, losses); with the runs
# table for the settings, the median curve of each weight decay.

# %%
curves = study.curves(columns=["run_id", "setting", "epoch", "data_loss"])
curves = curves.merge(runs[["run_id", "lam"]], on="run_id")
median = curves.groupby(["lam", "epoch"])["data_loss"].median().unstack("lam")
ax = median.plot(logx=True, logy=True, xlabel="epoch", ylabel="data loss, median over seeds")
plt.show()

# %% [markdown]
# The weights of one run at each snapshot, as W1 (hidden × inputs, bias last) at the end.

# %%
weights = study.weights(runs["run_id"].iloc[0])
last = weights[(weights["epoch"] == weights["epoch"].max()) & (weights["layer"] == "hidden")]
print(last.pivot(index="to_unit", columns="from_unit", values="value").round(2))
