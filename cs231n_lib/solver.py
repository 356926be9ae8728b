"""The Solver: trains a classification model with minibatch gradient descent (CS231n's ``solver.py``).

    solver = Solver(model, data, update_rule="adam", update_rules=globals(),
                    optim_config={"learning_rate": 1e-3}, lr_decay=0.95,
                    num_epochs=10, batch_size=100)
    solver.train()
    solver.plot_history()

**The model** is any object with
- ``params``: a dict mapping parameter names to numpy arrays;
- ``loss(X, y=None)``: with ``y`` None, the scores, an array of shape (N, C); otherwise a tuple
  ``(loss, grads)``, grads a dict with the keys of ``params`` and arrays of the same shapes.

**The data** is a dict with ``X_train`` (N_train, d_1, ..., d_k), ``y_train`` (N_train,),
``X_val`` (N_val, d_1, ..., d_k), ``y_val`` (N_val,); labels are integers 0..C-1.

**The update rule** is a function ``rule(w, dw, config=None) -> (next_w, config)`` (see
:mod:`cs231n_lib.optim`), given by name and looked up in ``update_rules``: a dict (e.g. a
notebook's ``globals()``) or a module. By default that is :mod:`cs231n_lib.optim`, which knows
only ``sgd``; the notebook passes its own namespace so that the rules a student writes there are
the ones the Solver runs. A function can also be passed directly as ``update_rule``.

Behaviour (as CS231n's): every parameter gets its own copy of ``optim_config``, which the rule
fills with its defaults and its state; each epoch has ``max(N_train // batch_size, 1)`` steps on
minibatches drawn with replacement; after every epoch each learning rate is multiplied by
``lr_decay``; the training and validation accuracies are measured after the first step and after
every epoch (CS231n's "Epoch 0" line is the check after the first step); when training ends the
model gets the parameters with the best validation accuracy.
Minibatches and accuracy subsamples are drawn from a ``np.random.Generator`` (``rng``), never from
numpy's global generator, so a model that re-seeds the global generator (seeded dropout) does
not freeze the minibatches.
"""
from __future__ import annotations

import copy
import difflib
import inspect
import math
import pickle
import types
from collections.abc import Mapping

import numpy as np

from . import optim

__all__ = ["Solver", "lookup_update_rule"]

REQUIRED_DATA = ("X_train", "y_train", "X_val", "y_val")


def _namespace_names(namespace) -> dict:
    if isinstance(namespace, Mapping):
        return dict(namespace)
    return {name: getattr(namespace, name) for name in dir(namespace)}


def lookup_update_rule(update_rule, update_rules=None):
    """The update-rule function ``update_rule`` names.

    Inputs:
    - update_rule: a function rule(w, dw, config=None) -> (next_w, config), or the name of one.
    - update_rules: where to look a name up: a dict (e.g. a notebook's ``globals()``) or a module;
      default :mod:`cs231n_lib.optim` (only ``sgd``).

    Returns:
    - the function.

    Raises ValueError naming the rule, where it was looked for and the closest names found there,
    when there is no function of that name.
    """
    if callable(update_rule):
        return update_rule
    if not isinstance(update_rule, str):
        raise ValueError(f"update_rule should be the name of an update rule or a function, "
                         f"got {type(update_rule).__name__}")
    namespace = optim if update_rules is None else update_rules
    names = _namespace_names(namespace)
    found = names.get(update_rule)
    if callable(found) and not isinstance(found, type):
        return found
    where = namespace.__name__ if isinstance(namespace, types.ModuleType) else "update_rules"
    candidates = [n for n, v in names.items() if callable(v) and not n.startswith("_") and not isinstance(v, type)]
    close = difflib.get_close_matches(update_rule, candidates, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if update_rules is None:
        hint += " (pass update_rules=globals() to use the rules defined in your notebook)"
    raise ValueError(f'Invalid update_rule "{update_rule}": no function of that name in {where}{hint}')


def _make_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:  # seeded from numpy's global generator, so np.random.seed(...) makes a run reproducible
        return np.random.default_rng(int(np.random.randint(0, 2**31 - 1)))
    return np.random.default_rng(rng)


class Solver:
    """Trains a model with minibatch gradient descent; see the module docstring for the protocol.

    Attributes after train():
    - loss_history: list of floats, the minibatch loss of every step.
    - train_acc_history, val_acc_history: lists of floats, the accuracies after the first step and
      after every epoch (num_epochs + 1 entries; num_epochs when an epoch is a single step).
    - best_val_acc: the best validation accuracy; best_params: copies of the parameters that had it
      (the model holds them after training).
    - epoch: the number of epochs done; optim_configs: the config of every parameter.
    """

    def __init__(self, model, data, *, update_rule="sgd", update_rules=None, optim_config=None,
                 lr_decay=1.0, batch_size=100, num_epochs=10, num_train_samples=1000,
                 num_val_samples=None, checkpoint_name=None, print_every=10, verbose=True,
                 progress=True, rng=None, **unrecognized):
        """
        Set up a solver (nothing is trained until train() is called).

        Inputs:
        - model: an object with params (dict of arrays) and loss(X, y=None), as described above.
        - data: dict with 'X_train' (N_train, ...), 'y_train' (N_train,), 'X_val' (N_val, ...), 'y_val' (N_val,).
        - update_rule: name of an update rule in update_rules (default 'sgd'), or the function itself.
        - update_rules: dict or module to look the name up in (default cs231n_lib.optim, only 'sgd');
          pass globals() to use the rules of your notebook.
        - optim_config: dict of hyperparameters for the update rule (e.g. {'learning_rate': 1e-3});
          every parameter gets its own copy.
        - lr_decay: (float) every learning rate is multiplied by it after each epoch.
        - batch_size: (int) examples per minibatch.
        - num_epochs: (int) passes over the training data.
        - num_train_samples: (int or None) training examples used to measure the training accuracy
          (None: all of them).
        - num_val_samples: (int or None) validation examples used to measure the validation accuracy
          (None: all of them).
        - checkpoint_name: (str or None) when given, after every epoch the parameters and histories
          are pickled to '<checkpoint_name>_epoch_<epoch>.pkl'.
        - print_every: (int) with verbose, print the loss every print_every steps.
        - verbose: (bool) print the loss and the accuracies while training.
        - progress: (bool) show a progress bar over the steps (tqdm).
        - rng: np.random.Generator or seed for the minibatches and accuracy subsamples; default: a
          generator seeded from numpy's global one (so np.random.seed makes runs reproducible).

        Returns:
        - nothing. Raises ValueError for an unknown update rule, missing data or an unrecognized argument.
        """
        if unrecognized:
            known = [p.name for p in inspect.signature(Solver.__init__).parameters.values()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY]
            parts = []
            for name in sorted(unrecognized):
                close = difflib.get_close_matches(name, known, n=1)
                parts.append(f"{name} (did you mean {close[0]}?)" if close else name)
            raise ValueError(f"Unrecognized arguments {', '.join(parts)}; the Solver accepts {', '.join(known)}")
        missing = [k for k in REQUIRED_DATA if k not in data]
        if missing:
            raise ValueError(f"data is missing {', '.join(missing)}; it needs the keys {', '.join(REQUIRED_DATA)}")
        if not isinstance(getattr(model, "params", None), dict) or not callable(getattr(model, "loss", None)):
            raise ValueError("model should have a dict params and a method loss(X, y=None)")
        if int(batch_size) < 1 or int(num_epochs) < 0:
            raise ValueError(f"batch_size should be >= 1 and num_epochs >= 0, got {batch_size} and {num_epochs}")
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule_name = update_rule if isinstance(update_rule, str) else getattr(update_rule, "__name__", "rule")
        self.update_rule = lookup_update_rule(update_rule, update_rules)
        self.optim_config = dict(optim_config or {})
        self.lr_decay = float(lr_decay)
        self.batch_size = int(batch_size)
        self.num_epochs = int(num_epochs)
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.checkpoint_name = checkpoint_name
        self.print_every = max(1, int(print_every))
        self.verbose = bool(verbose)
        self.progress = bool(progress)
        self.rng = _make_rng(rng)
        self._reset()

    def _reset(self):
        """Fresh bookkeeping: histories, best parameters and one config per parameter."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {p: copy.deepcopy(self.optim_config) for p in self.model.params}

    def __repr__(self):
        return (f"Solver(update_rule={self.update_rule_name!r}, optim_config={self.optim_config}, "
                f"lr_decay={self.lr_decay}, batch_size={self.batch_size}, num_epochs={self.num_epochs}, "
                f"epoch={self.epoch}, best_val_acc={self.best_val_acc:.4f})")

    def _step(self):
        """One gradient step on a minibatch drawn with replacement; records its loss."""
        num_train = self.X_train.shape[0]
        batch = self.rng.choice(num_train, self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch], self.y_train[batch])
        self.loss_history.append(float(loss))
        for p, w in self.model.params.items():
            result = self.update_rule(w, grads[p], self.optim_configs[p])
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"the update rule {self.update_rule_name!r} should return a tuple "
                                f"(next_w, config), got {type(result).__name__}")
            self.model.params[p], self.optim_configs[p] = result

    def _save_checkpoint(self):
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "params": {k: np.array(v, copy=True) for k, v in self.model.params.items()},
            "update_rule": self.update_rule_name, "lr_decay": self.lr_decay,
            "optim_config": self.optim_config, "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples, "num_val_samples": self.num_val_samples,
            "epoch": self.epoch, "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history, "val_acc_history": self.val_acc_history,
        }
        with open(f"{self.checkpoint_name}_epoch_{self.epoch}.pkl", "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """
        Accuracy of the model on the data (predictions in minibatches, from model.loss(X)).

        Inputs:
        - X: data, array of shape (N, d_1, ..., d_k).
        - y: labels, array of shape (N,).
        - num_samples: (int or None) when given and smaller than N, the accuracy on that many
          examples drawn without replacement.
        - batch_size: (int) examples per call of model.loss.

        Returns:
        - acc: a float, the fraction of examples whose highest score is their label.
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self.rng.choice(N, num_samples, replace=False)
            X, y, N = X[mask], y[mask], num_samples
        predictions = [np.argmax(self.model.loss(X[i * batch_size:(i + 1) * batch_size]), axis=1)
                       for i in range(math.ceil(N / batch_size))]
        y_pred = np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)
        return float(np.mean(y_pred == y)) if N else 0.0

    def _record_accuracies(self, write):
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self._save_checkpoint()
        if self.verbose:
            write(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}")
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = max(val_acc, self.best_val_acc)
            self.best_params = {k: np.array(v, copy=True) for k, v in self.model.params.items()}

    def train(self):
        """
        Run the optimization: num_epochs epochs of minibatch steps, then restore the best parameters.

        Inputs:
        - none (everything was given to the constructor).

        Returns:
        - nothing; fills loss_history, train_acc_history, val_acc_history, best_val_acc and
          best_params, and leaves model.params at best_params.
        """
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        bar = None
        if self.progress and num_iterations > 0:
            from tqdm.auto import tqdm  # imported here: importing the Solver stays cheap
            bar = tqdm(total=num_iterations, desc=f"{self.update_rule_name}", unit="step", leave=False)
        write = bar.write if bar is not None else print
        try:
            for t in range(num_iterations):
                self._step()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{self.loss_history[-1]:.4f}", epoch=self.epoch, refresh=False)
                if self.verbose and t % self.print_every == 0:
                    write(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
                epoch_end = (t + 1) % iterations_per_epoch == 0
                if epoch_end:
                    self.epoch += 1
                    for config in self.optim_configs.values():
                        if "learning_rate" in config:
                            config["learning_rate"] *= self.lr_decay
                if t == 0 or t == num_iterations - 1 or epoch_end:
                    self._record_accuracies(write)
        finally:
            if bar is not None:
                bar.close()
        if self.best_params:
            self.model.params = self.best_params

    def plot_history(self, title=None):
        """
        Plot the loss of every step and the training and validation accuracy of every epoch.

        Inputs:
        - title: (str or None) title of the figure.

        Returns:
        - the matplotlib Figure.
        """
        from .training_vis import plot_solver_histories
        return plot_solver_histories({self.update_rule_name: self}, title=title)
