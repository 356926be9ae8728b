"""Known mistakes in assignment1/svm.ipynb (seeded from tests/variants/assignment1_wrong.py and the demo).

Each ``Mistake(cell, id, says, source)`` replaces one solution cell; ``says`` is shown to a
student whose function gives exactly the same answers on every input of its hidden tests.
"""
from autograder.engine.diagnosis import Mistake

NAIVE_FULL_REG = '''
def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    dW = dW / X.shape[0] + 2 * reg * W
    return loss, dW
'''
NAIVE_SUMMED = NAIVE_FULL_REG.replace(
    "loss = loss / X.shape[0] + reg * np.sum(W * W)\n    dW = dW / X.shape[0] + 2 * reg * W",
    "loss = loss + 0.5 * reg * np.sum(W * W)\n    dW = dW + reg * W")
NAIVE_NO_CORRECT_CLASS = NAIVE_FULL_REG.replace("                dW[:, y[i]] -= X[i]\n", "").replace(
    "loss = loss / X.shape[0] + reg * np.sum(W * W)\n    dW = dW / X.shape[0] + 2 * reg * W",
    "loss = loss / X.shape[0] + 0.5 * reg * np.sum(W * W)\n    dW = dW / X.shape[0] + reg * W")
NAIVE_LOSS_WITHOUT_HALF = NAIVE_FULL_REG.replace("dW = dW / X.shape[0] + 2 * reg * W",
                                                 "dW = dW / X.shape[0] + reg * W")

VECTORIZED = '''
def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = margins.sum() / n + 0.5 * reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    dW = X.T.dot(coeff) / n + reg * W
    return loss, dW
'''


def _vectorized(old: str, new: str) -> str:
    assert old in VECTORIZED, old
    return VECTORIZED.replace(old, new)


VEC_DELTA_ZERO = _vectorized("scores - scores[rows, y][:, None] + 1", "scores - scores[rows, y][:, None]")
VEC_FULL_REG = _vectorized("0.5 * reg * np.sum(W * W)", "reg * np.sum(W * W)").replace(
    "/ n + reg * W", "/ n + 2 * reg * W")
VEC_LOSS_WITHOUT_HALF = _vectorized("0.5 * reg * np.sum(W * W)", "reg * np.sum(W * W)")
VEC_SUMMED = _vectorized("margins.sum() / n", "margins.sum()").replace("X.T.dot(coeff) / n", "X.T.dot(coeff)")
VEC_NO_CORRECT_CLASS = _vectorized("    coeff[rows, y] = -coeff.sum(axis=1)\n", "")

TRAIN_FIXED_LR = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    if self.W is None:
        self.W = 0.001 * np.random.randn(X.shape[1], np.max(y) + 1)
    history = []
    for it in range(num_iters):
        idx = np.random.choice(X.shape[0], batch_size)
        loss, grad = self.loss(X[idx], y[idx], reg)
        history.append(loss)
        self.W -= 1e-3 * grad
    return history
LinearClassifier.train = train
'''
TRAIN_FULL_BATCH_NO_REG = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    if self.W is None:
        self.W = 0.001 * np.random.randn(X.shape[1], np.max(y) + 1)
    history = []
    for it in range(num_iters):
        loss, grad = self.loss(X, y, 0.0)
        history.append(loss)
        self.W -= learning_rate * grad
    return history
LinearClassifier.train = train
'''
PREDICT_ARGMIN = '''
def predict(self, X):
    return np.argmin(X.dot(self.W), axis=1)
LinearClassifier.predict = predict
'''
PREDICT_SCORES = '''
def predict(self, X):
    return np.max(X.dot(self.W), axis=1)
LinearClassifier.predict = predict
'''

FULL_REG = ("your loss and gradient use reg * sum(W**2) with gradient 2 * reg * W "
            "(the convention of CS231n since 2017); ours is 0.5 * reg * np.sum(W * W) with gradient reg * W")
SUMMED = ("your loss and gradient are summed over the examples; divide the data "
          "part by the number of examples N (the regularization is not divided)")
LOSS_WITHOUT_HALF = ("your gradient is right but your loss adds reg * np.sum(W * W): "
                     "the regularization term of the loss is 0.5 * reg * np.sum(W * W)")
NO_CORRECT_CLASS = ("your dW is what you get when the correct-class column is not updated: "
                    "every margin > 0 must also subtract X[i] from dW[:, y[i]]")

MISTAKES = [
    Mistake("svm_loss_naive", "full-regularization", FULL_REG, NAIVE_FULL_REG),
    Mistake("svm_loss_naive", "summed-not-averaged", SUMMED, NAIVE_SUMMED),
    Mistake("svm_loss_naive", "no-correct-class-column", NO_CORRECT_CLASS, NAIVE_NO_CORRECT_CLASS),
    Mistake("svm_loss_naive", "loss-without-half", LOSS_WITHOUT_HALF, NAIVE_LOSS_WITHOUT_HALF),
    Mistake("svm_loss_vectorized", "delta-zero",
            "your loss and gradient are what you get with a margin of 0 instead of 1: "
            "the margins are scores - correct-class score + 1",
            VEC_DELTA_ZERO),
    Mistake("svm_loss_vectorized", "full-regularization", FULL_REG, VEC_FULL_REG),
    Mistake("svm_loss_vectorized", "summed-not-averaged", SUMMED, VEC_SUMMED),
    Mistake("svm_loss_vectorized", "no-correct-class-column", NO_CORRECT_CLASS, VEC_NO_CORRECT_CLASS),
    Mistake("svm_loss_vectorized", "loss-without-half", LOSS_WITHOUT_HALF, VEC_LOSS_WITHOUT_HALF),
    Mistake("LinearClassifier_train", "fixed-learning-rate",
            "your updates use a fixed step of 1e-3 instead of the learning_rate "
            "argument: W -= learning_rate * grad",
            TRAIN_FIXED_LR),
    Mistake("LinearClassifier_train", "full-batch-without-reg",
            "your train uses all of X at every step and passes reg = 0: sample "
            "batch_size rows (np.random.choice) and pass reg to self.loss",
            TRAIN_FULL_BATCH_NO_REG),
    Mistake("LinearClassifier_predict", "argmin",
            "your predictions take the class with the lowest score (argmin); "
            "predict the class with the highest score, np.argmax(X.dot(self.W), axis=1)",
            PREDICT_ARGMIN),
    Mistake("LinearClassifier_predict", "scores-not-labels",
            "you return the highest score of each row, not its class: use np.argmax, not np.max",
            PREDICT_SCORES),
]
