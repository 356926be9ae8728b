"""Hidden suite of assignment1/softmax.ipynb: the softmax losses."""
from autograder.suites.kit.linear_losses import add_loss_tests

NOTEBOOK = "softmax"
SETUP_CELLS = ["softmax_imports"]
SOLUTION_CELLS = ["softmax_loss_naive", "softmax_loss_vectorized"]

add_loss_tests(globals(), "softmax_loss_naive", "test_softmax_loss_naive", vectorized=False, big_scores=True)
add_loss_tests(globals(), "softmax_loss_vectorized", "test_softmax_loss_vectorized", vectorized=True, big_scores=True)
