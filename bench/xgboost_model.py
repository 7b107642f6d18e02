"""XGBoost on the model bench's exact rows: `python3 xgboost_model.py DIR SEED`.

Reads DIR/train.csv (customer group, label, features...) and DIR/holdout.csv (label, features...),
both without a header and with the features in the same order, written by bench/model.mjs from the
same point-in-time set the trainer uses. Fixed settings, chosen once and not tuned on the holdout:

  objective binary:logistic, eta 0.05, max_depth 4, min_child_weight 1, subsample 0.8,
  colsample_bytree 0.8, lambda 1, tree_method hist (256 bins), up to 2000 rounds with early
  stopping (50 rounds) on the log loss of a validation slice: 20 % of the training rows'
  customers (grouped, seeded shuffle), never the holdout. Then refit on every training row with
  the early-stopped number of rounds, as churnwatch refits on train + validation.

Writes DIR/holdout_predictions.txt (one probability per holdout row, in order) and prints a JSON
summary as the last line of stdout. Training progress goes to stderr.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main() -> None:
    directory, seed = sys.argv[1], int(sys.argv[2])
    started = time.time()
    train = np.loadtxt(f"{directory}/train.csv", delimiter=",", ndmin=2)
    holdout = np.loadtxt(f"{directory}/holdout.csv", delimiter=",", ndmin=2)
    groups, y, x = train[:, 0].astype(np.int64), train[:, 1], train[:, 2:]

    unique = np.unique(groups)
    rng = np.random.default_rng(seed)
    validation_groups = rng.permutation(unique)[: max(1, round(len(unique) * 0.2))]
    is_validation = np.isin(groups, validation_groups)

    params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "eta": 0.05,
        "max_depth": 4,
        "min_child_weight": 1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "lambda": 1.0,
        "tree_method": "hist",
        "max_bin": 256,
        "seed": seed,
        "nthread": 2,
    }
    fit = xgb.DMatrix(x[~is_validation], label=y[~is_validation])
    valid = xgb.DMatrix(x[is_validation], label=y[is_validation])
    stdout = sys.stdout
    sys.stdout = sys.stderr  # xgboost's evaluation log prints to stdout
    try:
        early = xgb.train(params, fit, num_boost_round=2000, evals=[(valid, "validation")],
                          early_stopping_rounds=50, verbose_eval=100)
        rounds = early.best_iteration + 1
        print(f"xgboost: early stopping chose {rounds} rounds; refitting on all {len(y)} training rows", flush=True)
        booster = xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=rounds)
    finally:
        sys.stdout = stdout

    predictions = booster.predict(xgb.DMatrix(holdout[:, 1:]))
    with open(f"{directory}/holdout_predictions.txt", "w") as out:
        out.write("\n".join(repr(float(p)) for p in predictions))
    print(json.dumps({
        "xgboostVersion": xgb.__version__,
        "params": params,
        "earlyStoppingRounds": 50,
        "maxRounds": 2000,
        "rounds": int(rounds),
        "validationLogLoss": float(early.best_score),
        "trainRows": int(len(y)),
        "validationRows": int(is_validation.sum()),
        "validationCustomers": int(len(validation_groups)),
        "holdoutRows": int(len(holdout)),
        "seconds": round(time.time() - started, 2),
    }))


if __name__ == "__main__":
    main()
