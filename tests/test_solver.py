"""Does the Solver (cs231n_lib/solver.py) behave as CS231n's, with the rules it is given?

Support code, never graded: these tests are its only check. Models here are tiny and fake where a
behaviour is easier to see that way (a model whose accuracy is set by a parameter, a rule that
records what it is called with); one real softmax classifier shows that training works.
"""
from __future__ import annotations

import pickle
import types

import numpy as np
import pytest

from cs231n_lib import optim
from cs231n_lib.solver import Solver, lookup_update_rule


class Softmax:
    """A linear softmax classifier (params W, b)."""

    def __init__(self, D, C, seed=0):
        self.params = {"W": 0.01 * np.random.default_rng(seed).standard_normal((D, C)), "b": np.zeros(C)}
        self.calls = []

    def loss(self, X, y=None):
        self.calls.append(len(X))
        X = X.reshape(len(X), -1)
        scores = X @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        p[np.arange(len(y)), y] -= 1
        p /= len(y)
        return loss, {"W": X.T @ p, "b": p.sum(axis=0)}


def blobs(N=300, D=5, C=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = 4.0 * rng.standard_normal((C, D))
    y = rng.integers(0, C, N)
    return centers[y] + rng.standard_normal((N, D)), y


def data_dict(N=300, n_val=100, **kwargs):
    X, y = blobs(N + n_val, **kwargs)
    return {"X_train": X[:N], "y_train": y[:N], "X_val": X[N:], "y_val": y[N:]}


def quiet(**kwargs):
    return dict(verbose=False, progress=False, **kwargs)


class Recorder:
    """An update rule that records every call: the parameter's shape, its config, and dw."""

    def __init__(self):
        self.calls = []

    def __call__(self, w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("learning_rate", 1e-2)
        self.calls.append({"shape": w.shape, "config": dict(config), "id": id(config), "dw": dw.copy()})
        return w - config["learning_rate"] * dw, config


# ---- the update rule, by name ------------------------------------------------------------

def test_default_rule_is_the_given_sgd():
    """Without update_rules, is 'sgd' found in cs231n_lib.optim, and nothing else?"""
    assert lookup_update_rule("sgd") is optim.sgd
    with pytest.raises(ValueError, match=r'Invalid update_rule "adam".*update_rules=globals\(\)'):
        lookup_update_rule("adam")


def test_rules_are_looked_up_in_the_namespace_given():
    """Does the Solver run the rule found in a notebook's namespace (a dict) or a module, by name?"""
    rule = Recorder()
    notebook_globals = {"my_rule": rule, "np": np}
    model = Softmax(5, 3)
    Solver(model, data_dict(), update_rule="my_rule", update_rules=notebook_globals, num_epochs=1, batch_size=100,
           **quiet()).train()
    assert len(rule.calls) == 3 * 2                  # 3 steps, one call per parameter
    module = types.ModuleType("rules")
    module.my_rule = Recorder()
    Solver(Softmax(5, 3), data_dict(), update_rule="my_rule", update_rules=module, num_epochs=1, **quiet()).train()
    assert module.my_rule.calls
    direct = Recorder()
    Solver(Softmax(5, 3), data_dict(), update_rule=direct, num_epochs=1, **quiet()).train()
    assert direct.calls


@pytest.mark.parametrize("name,namespace,message", [
    ("adma", {"adam": lambda w, dw, config=None: (w, config)}, r'Invalid update_rule "adma".*did you mean \'adam\''),
    ("np", {"np": np}, r'Invalid update_rule "np"'),                     # a module is not a rule
    ("Solver", {"Solver": Solver}, r'Invalid update_rule "Solver"'),     # neither is a class
])
def test_unknown_rule_is_a_clear_value_error(name, namespace, message):
    """Is a name that is no update rule in the namespace refused at construction, with the closest names?"""
    with pytest.raises(ValueError, match=message):
        Solver(Softmax(5, 3), data_dict(), update_rule=name, update_rules=namespace, **quiet())


def test_unrecognized_argument_is_a_clear_value_error():
    """Is a misspelled argument refused with a ValueError that names it and suggests the right one?"""
    with pytest.raises(ValueError, match=r"Unrecognized arguments lr_decy \(did you mean lr_decay\?\)"):
        Solver(Softmax(5, 3), data_dict(), lr_decy=0.9)
    with pytest.raises(ValueError, match="Unrecognized arguments"):
        Solver(Softmax(5, 3), data_dict(), learning_rate=1e-3)


def test_bad_data_or_model_is_refused():
    """Are missing data keys and a model without params/loss refused with a ValueError naming them?"""
    data = data_dict()
    del data["y_val"]
    with pytest.raises(ValueError, match="y_val"):
        Solver(Softmax(5, 3), data)
    with pytest.raises(ValueError, match="params"):
        Solver(object(), data_dict())


def test_a_rule_that_returns_something_else_is_named():
    """Does a rule that does not return (next_w, config) give a TypeError naming the rule?"""
    bad = {"bad_rule": lambda w, dw, config=None: w}
    solver = Solver(Softmax(5, 3), data_dict(), update_rule="bad_rule", update_rules=bad, **quiet())
    with pytest.raises(TypeError, match="'bad_rule' should return a tuple"):
        solver.train()


# ---- configs, decay, minibatches -----------------------------------------------------------

def test_every_parameter_has_its_own_config_and_the_state_is_kept():
    """Does each parameter get a copy of optim_config, handed back at its next step (the rule's state)?"""
    def counting(w, dw, config=None):
        config.setdefault("count", 0)
        config["count"] += 1
        config.setdefault("trace", []).append(w.shape)
        return w, config

    optim_config = {"learning_rate": 0.5, "trace": []}
    model = Softmax(5, 3)
    solver = Solver(model, data_dict(N=300), update_rule=counting, optim_config=optim_config, num_epochs=2,
                    batch_size=100, **quiet())
    solver.train()
    assert solver.optim_configs["W"]["count"] == solver.optim_configs["b"]["count"] == 6
    assert solver.optim_configs["W"]["trace"] == [(5, 3)] * 6 and solver.optim_configs["b"]["trace"] == [(3,)] * 6
    assert optim_config == {"learning_rate": 0.5, "trace": []}, "the caller's optim_config must not change"


def test_learning_rate_decays_after_every_epoch():
    """Is every learning rate multiplied by lr_decay once per epoch (4 steps per epoch here)?"""
    rule = Recorder()
    Solver(Softmax(5, 3), data_dict(N=100), update_rule=rule, optim_config={"learning_rate": 1.0}, lr_decay=0.5,
           num_epochs=3, batch_size=25, **quiet()).train()
    rates = [c["config"]["learning_rate"] for c in rule.calls if c["shape"] == (5, 3)]
    assert rates == [1.0] * 4 + [0.5] * 4 + [0.25] * 4
    assert rates != [1.0] * 12                          # negative control: without decay the list differs


@pytest.mark.parametrize("N,batch_size,epochs,steps", [(100, 25, 3, 12), (100, 30, 2, 6), (50, 100, 3, 3)])
def test_steps_per_epoch_and_minibatch_size(N, batch_size, epochs, steps):
    """Are there num_epochs * max(N // batch_size, 1) steps, each on batch_size examples?"""
    model = Softmax(5, 3)
    solver = Solver(model, data_dict(N=N), num_epochs=epochs, batch_size=batch_size, num_train_samples=None,
                    **quiet())
    model.calls.clear()
    solver.train()
    train_calls = [n for n in model.calls if n == batch_size]
    assert len(solver.loss_history) == steps
    assert len(train_calls) >= steps
    checks = epochs + 1 if steps > epochs else epochs   # after the first step and every epoch (once if they coincide)
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == checks


def test_minibatches_come_from_the_solvers_generator():
    """Are minibatches drawn from the solver's rng: reproducible, and not frozen by a model that re-seeds numpy?"""
    class Reseeding(Softmax):
        def loss(self, X, y=None):
            np.random.seed(0)                      # as seeded dropout does on every call
            if y is not None:
                self.batches.append(tuple(np.round(X[:, 0], 6)))
            return super().loss(X, y)

    def run(seed):
        model = Reseeding(5, 3)
        model.batches = []
        Solver(model, data_dict(N=200), num_epochs=2, batch_size=20, rng=seed, **quiet()).train()
        return model.batches

    first, again, other = run(1), run(1), run(2)
    assert first == again and first != other
    assert len(set(first)) == len(first), "every step should draw a new minibatch"


def test_default_generator_follows_numpy_global_seed():
    """Without rng, does np.random.seed make two runs identical (as in CS231n's notebooks)?"""
    def run():
        np.random.seed(3)
        model = Softmax(5, 3)
        solver = Solver(model, data_dict(), num_epochs=2, batch_size=30, **quiet())
        solver.train()
        return solver.loss_history

    assert run() == run()


# ---- accuracy, histories, best parameters ----------------------------------------------------

class Dial:
    """A model with one parameter 'w'; its predictions are right exactly when round(w) is in `good`."""

    def __init__(self, good):
        self.params = {"w": np.array([0.0])}
        self.good = good

    def loss(self, X, y=None):
        right = int(round(float(self.params["w"][0]))) in self.good
        labels = np.asarray(X[:, 0], dtype=int) if right else (np.asarray(X[:, 0], dtype=int) + 1) % 2
        scores = np.eye(2)[labels]
        if y is None:
            return scores
        return 1.0, {"w": np.array([-1.0])}        # with sgd at learning rate 1: w grows by 1 every step


def dial_data(N=40):
    y = np.arange(N) % 2
    X = np.column_stack([y, np.zeros(N)]).astype(float)
    return {"X_train": X, "y_train": y, "X_val": X.copy(), "y_val": y.copy()}


def test_best_parameters_are_restored():
    """Does the model end with the parameters of the best validation accuracy, not the last ones?"""
    model = Dial(good={2})                         # right only after 2 steps (2 steps per epoch, checked after
    solver = Solver(model, dial_data(), optim_config={"learning_rate": 1.0}, num_epochs=4, batch_size=20, **quiet())
    solver.train()                                 # the first step and after every epoch: w = 1, 2, 4, 6, 8)
    assert solver.val_acc_history == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert solver.best_val_acc == 1.0
    assert model.params["w"][0] == 2.0             # the last parameters would be 8.0
    assert solver.best_params["w"][0] == 2.0


def test_best_parameters_when_no_epoch_is_better_than_chance():
    """With validation accuracy 0 throughout, are the parameters of the first check kept (never an empty dict)?"""
    model = Dial(good=set())
    solver = Solver(model, dial_data(), optim_config={"learning_rate": 1.0}, num_epochs=3, batch_size=20, **quiet())
    solver.train()
    assert set(model.params) == {"w"} and model.params["w"][0] == 1.0      # after the first step


def test_check_accuracy_in_batches_and_on_a_subsample():
    """Does check_accuracy predict in batches of batch_size and, with num_samples, on that many examples?"""
    model = Softmax(5, 3)
    solver = Solver(model, data_dict(), **quiet())
    X, y = blobs(250)
    model.calls.clear()
    acc = solver.check_accuracy(X, y, batch_size=100)
    assert model.calls == [100, 100, 50]
    assert acc == np.mean(np.argmax(model.loss(X), axis=1) == y)
    model.calls.clear()
    solver.check_accuracy(X, y, num_samples=60, batch_size=25)
    assert model.calls == [25, 25, 10]


def test_a_real_model_learns():
    """Does training a softmax classifier on separable blobs reach a high validation accuracy?"""
    np.random.seed(0)
    model = Softmax(5, 3)
    solver = Solver(model, data_dict(), optim_config={"learning_rate": 0.5}, num_epochs=5, batch_size=50, **quiet())
    solver.train()
    assert solver.val_acc_history[0] < 0.9 <= solver.best_val_acc
    assert np.mean(solver.loss_history[-5:]) < np.mean(solver.loss_history[:5])


# ---- output: printing, progress bar, checkpoints, plots -------------------------------------

def test_verbose_prints_cs231n_lines_and_the_bar_shows(capsys):
    """Does verbose print CS231n's iteration and epoch lines, and progress draw a bar (on stderr)?"""
    Solver(Softmax(5, 3), data_dict(), num_epochs=2, batch_size=50, print_every=3, verbose=True, progress=False).train()
    out = capsys.readouterr().out
    assert "(Iteration 1 / 12) loss:" in out and "(Iteration 4 / 12) loss:" in out
    assert "(Epoch 0 / 2) train acc:" in out and "(Epoch 2 / 2) train acc:" in out and "val_acc:" in out
    Solver(Softmax(5, 3), data_dict(), num_epochs=1, batch_size=50, verbose=False, progress=True).train()
    captured = capsys.readouterr()
    assert "/6 [" in captured.err and captured.out == ""


def test_checkpoints_are_written_every_epoch(tmp_path):
    """With checkpoint_name, is a pickle with the parameters and histories written after every epoch?"""
    name = str(tmp_path / "run")
    solver = Solver(Softmax(5, 3), data_dict(), num_epochs=2, batch_size=100, checkpoint_name=name, **quiet())
    solver.train()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_epoch_0.pkl", "run_epoch_1.pkl", "run_epoch_2.pkl"]
    with open(tmp_path / "run_epoch_2.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert checkpoint["epoch"] == 2 and checkpoint["update_rule"] == "sgd" and set(checkpoint["params"]) == {"W", "b"}


def test_plot_history_draws_three_panels():
    """Does plot_history return a figure with the loss and the two accuracy curves?"""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    solver = Solver(Softmax(5, 3), data_dict(), num_epochs=2, batch_size=50, **quiet())
    solver.train()
    fig = solver.plot_history(title="run")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["training loss", "training accuracy", "validation accuracy"]
    assert len(axes[1].lines[0].get_ydata()) == 3
    plt.close(fig)


def test_repr_names_the_rule_and_the_progress():
    """Does a Solver print as something meaningful?"""
    solver = Solver(Softmax(5, 3), data_dict(), update_rule="sgd", optim_config={"learning_rate": 0.1}, **quiet())
    assert "update_rule='sgd'" in repr(solver) and "epoch=0" in repr(solver)
