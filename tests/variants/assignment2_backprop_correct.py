"""Assignment 2, backprop.ipynb: correct implementations written differently from the instructor solution.

Every one must get full marks for every seed. ``ALTERNATIVES[(notebook, solution grade_id)]`` lists (label, source).
"""

ASSIGNMENT = "assignment2"

NEURON_VECTORIZED = '''
def neuron_forward_backward(w, x):
    t = np.dot(w[:2], x) + w[2]
    f = 1.0 / (1.0 + np.exp(-t))
    g = f * (1.0 - f)
    return f, g * np.append(x, 1.0), g * w[:2]
'''
STAGED_QUOTIENT_RULE = '''
def staged_forward_backward(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    # the quotient rule, one partial derivative of num and den at a time
    dx = (1.0 * den - num * (sigx * (1 - sigx) + 2 * xpy)) / den ** 2
    dy = (sigy * (1 - sigy) * den - num * 2 * xpy) / den ** 2
    return f, dx, dy
'''
MATMUL_TRANSPOSED_PRODUCT = '''
def matmul_backward(dout, W, X):
    dW = np.einsum("nm,dm->nd", dout, X)
    dX = dout.T.dot(W).T
    return dW, dX
'''

ALTERNATIVES = {
    ("backprop", "neuron_forward_backward"): [("np.dot and np.append", NEURON_VECTORIZED)],
    ("backprop", "staged_forward_backward"): [("quotient rule in one go", STAGED_QUOTIENT_RULE)],
    ("backprop", "matmul_backward"): [("einsum and (dout.T W).T", MATMUL_TRANSPOSED_PRODUCT)],
}
