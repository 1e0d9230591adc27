"""The theory jobs' settings, read from a study config's `escape_*` and `law_*` experiments: one
job per encoder shape, loss and σ' offset. An `escape_*` setting measures the escape slope and μ;
a `law_*` setting also finds λ_c per seed by bisection (slow near λ_c, so the config chooses
where). Light (no pandas, no engine), since the workflow imports it while it is read."""

from __future__ import annotations

from typing import Any

PREFIXES = {"escape_": False, "law_": True}  # prefix -> with the bisection for λ_c


def settings_of(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Setting name (`8_3_mse_c0`) -> its `theory` arguments, for every loss and offset of every
    `escape_*` / `law_*` experiment; the flow-time budget is the experiment's epochs × α."""
    out = {}
    for name, exp in config.get("experiments", {}).items():
        bisect = [b for prefix, b in PREFIXES.items() if name.startswith(prefix)]
        if not bisect:
            continue
        n, m = int(exp.get("classes", config["classes"])), int(exp.get("hidden", config["hidden"]))
        alpha = float(exp["alpha"][0] if isinstance(exp["alpha"], list) else exp["alpha"])
        seeds = [int(s) for s in exp.get("seeds", config["seeds"])]
        losses = exp.get("loss", config.get("loss", "mse"))
        offsets = exp.get("prime_offset", config.get("prime_offset", 0.0))
        for loss in losses if isinstance(losses, list) else [losses]:
            for offset in offsets if isinstance(offsets, list) else [offsets]:
                key = f"{n}_{m}_{loss}_c{float(offset):g}"
                out[key] = {
                    "classes": n, "hidden": m, "loss": loss, "offset": float(offset),
                    "alpha": alpha, "seeds": seeds,
                    "t_max": float(exp.get("epochs", config["epochs"])) * alpha,
                    "bisect": bisect[0],
                }  # fmt: skip
    return out


def command_args(setting: dict[str, Any]) -> str:
    """The command-line arguments of one `settings_of` entry."""
    seeds = " ".join(str(s) for s in setting["seeds"])
    return (
        f"--classes {setting['classes']} --hidden {setting['hidden']} --loss {setting['loss']}"
        f" --offset {setting['offset']!r} --alpha {setting['alpha']!r} --seeds {seeds}"
        f" --t-max {setting['t_max']!r}"
        + ("" if setting.get("bisect") else " --bisect-max-budget 0")
    )
