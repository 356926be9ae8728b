"""Hidden suite of assignment2/training_optimization.ipynb: the update rules.

Every rule gets the tests of :mod:`autograder.suites.kit.update_rules` (one step with a state and
non-default hyperparameters, several steps threading the returned config, CS231n's defaults, dw
unchanged); Adam also gets a test of its first step (t incremented before the bias correction).
The hyperparameters of the value tests are drawn far from their defaults, so that a rule that ignores
one always fails, and so that each visibly changes the step: an epsilon of 1e-3..1e-2 against caches
of 0.01..5 tells sqrt(cache) + eps from sqrt(cache + eps).
"""
import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_number, assert_close
from autograder.suites.kit.update_rules import UpdateRule, add_update_rule_tests, call_rule, gradient

NOTEBOOK = "training_optimization"
SETUP_CELLS = ["training_optimization_imports"]
SOLUTION_CELLS = ["sgd_momentum", "adagrad", "rmsprop", "adam"]


def learning_rate(rng):
    """0.03..0.3: far from every default (1e-2, and 1e-3 for Adam)."""
    return float(10 ** rng.uniform(-1.5, -0.5))


def epsilon(rng):
    return float(10 ** rng.uniform(-3.0, -2.0))


def positive(rng, shape):
    """A cache or second moment: 0.01..1, so that its square root is 0.1..1."""
    return rng.uniform(0.01, 1.0, shape)


# ---- known mistakes, to name them in the messages (each returns next_w) ---------------------

def momentum_old_velocity(w, dw, config):
    return w + config.get("velocity", np.zeros_like(w))      # next_w = w + v before v is updated


def momentum_plus_sign(w, dw, config):
    config.setdefault("momentum", 0.9)
    config.setdefault("learning_rate", 1e-2)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + config["learning_rate"] * dw
    return w - v


def root_of_cache_plus_eps(decay):
    def wrong(w, dw, config):
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("epsilon", 1e-8)
        rho = config.setdefault("decay_rate", 0.99) if decay else None
        cache = config.get("cache", np.zeros_like(w))
        cache = rho * cache + (1 - rho) * dw ** 2 if decay else cache + dw ** 2
        return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"])
    return wrong


def adagrad_no_sum(w, dw, config):
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    return w - config["learning_rate"] * dw / (np.abs(dw) + config["epsilon"])


def adam_variant(increment_first=True, corrected=True):
    def wrong(w, dw, config):
        lr, b1, b2, eps = (config.get("learning_rate", 1e-3), config.get("beta1", 0.9), config.get("beta2", 0.999),
                           config.get("epsilon", 1e-8))
        t = config.get("t", 0) + (1 if increment_first else 0)
        m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
        if corrected:
            m, v = m / (1 - b1 ** t), v / (1 - b2 ** t)
        return w - lr * m / (np.sqrt(v) + eps)
    return wrong


RULES = [
    UpdateRule("sgd_momentum", {"learning_rate": 1e-2, "momentum": 0.9}, ("velocity",),
               hyper=lambda rng: {"learning_rate": learning_rate(rng), "momentum": float(rng.uniform(0.5, 0.8))},
               initial_state=lambda rng, shape: {"velocity": 0.1 * rng.standard_normal(shape)},
               mistakes=(("the step uses the velocity of the previous step: update v first, then next_w = w + v",
                          momentum_old_velocity),
                         ("the velocity with the opposite sign (v = momentum * v + learning_rate * dw; "
                          "next_w = w - v): the docstring's convention is v = momentum * v - learning_rate * dw, "
                          "next_w = w + v", momentum_plus_sign))),
    UpdateRule("adagrad", {"learning_rate": 1e-2, "epsilon": 1e-8}, ("cache",),
               hyper=lambda rng: {"learning_rate": learning_rate(rng), "epsilon": epsilon(rng)},
               initial_state=lambda rng, shape: {"cache": positive(rng, shape)},
               mistakes=(("epsilon inside the square root: the step divides by np.sqrt(cache) + epsilon",
                          root_of_cache_plus_eps(decay=False)),
                         ("the cache is not accumulated: it should be the SUM of all squared gradients so far "
                          "(cache = cache + dw**2)", adagrad_no_sum))),
    UpdateRule("rmsprop", {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, ("cache",),
               hyper=lambda rng: {"learning_rate": learning_rate(rng), "decay_rate": float(rng.uniform(0.5, 0.9)),
                                  "epsilon": epsilon(rng)},
               initial_state=lambda rng, shape: {"cache": positive(rng, shape)},
               mistakes=(("epsilon inside the square root: the step divides by np.sqrt(cache) + epsilon",
                          root_of_cache_plus_eps(decay=True)),)),
    UpdateRule("adam", {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, ("m", "v"),
               counters=("t",),
               hyper=lambda rng: {"learning_rate": learning_rate(rng), "beta1": float(rng.uniform(0.5, 0.8)),
                                  "beta2": float(rng.uniform(0.8, 0.95)), "epsilon": epsilon(rng)},
               # t <= 5 keeps the bias correction large: t and t - 1 always give clearly different steps
               initial_state=lambda rng, shape: {"m": 0.5 * rng.standard_normal(shape), "v": positive(rng, shape),
                                                 "t": int(rng.integers(1, 6))},
               mistakes=(("t is incremented after the bias correction: increment t first, so that the first "
                          "step uses t = 1", adam_variant(increment_first=False)),
                         ("there is no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t)",
                          adam_variant(corrected=False)))),
]
for _rule in RULES:
    add_update_rule_tests(globals(), _rule)


ADAM = next(r for r in RULES if r.name == "adam")


@graded("test_adam", "adam", 1)
def test_adam_first_step(student, rng):
    """From a fresh config, is t 1 after the first step, and does every weight move by learning_rate against its gradient?"""
    for shape in [(5,), (3, 4)]:
        w, dw = rng.standard_normal(shape), gradient(rng, shape)
        lr = float(10 ** rng.uniform(-3.0, -1.0))
        next_w, config = call_rule(student, ADAM, w, dw, {"learning_rate": lr})
        assert "t" in config, "the config returned by adam should hold the step counter 't'"
        t = as_number(config["t"], "config['t'] returned by adam")
        assert t == 1, f"after the first step from a fresh config, config['t'] should be 1, got {t:g}"
        assert np.all(np.isfinite(next_w)), ("the first step gives inf or nan (if t is still 0 in the bias correction, "
                                             "1 - beta**t is 0: increment t first, so that the first step uses t = 1)")
        assert_close(next_w - w, -lr * np.sign(dw), 1e-6, "the first step next_w - w",
                     f"with learning_rate {lr:.3g} (t becomes 1 before the bias correction, so m_hat = dw, "
                     "v_hat = dw**2 and every weight moves by learning_rate against the sign of its gradient)")
