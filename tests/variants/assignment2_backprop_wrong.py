"""Assignment 2, backprop.ipynb: deliberately wrong implementations of every graded function.

``WRONG[(notebook, solution grade_id)]`` lists ``(label, source, tests)``: ``tests`` are the hidden tests
(suite names without ``test_``) that it must fail, all of them and only them, for every seed.
"""

ASSIGNMENT = "assignment2"

NEURON_TEMPLATE = '''
def neuron_forward_backward(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1.0 + math.exp({sign}dot))
    ddot = {local}
    {grads}
    return f, dw, dx
'''
GRADS = '''dx = np.array([w[0] * ddot, w[1] * ddot])
    dw = np.array([x[0] * ddot, x[1] * ddot, ddot])'''
NEURON_LOCAL_F = NEURON_TEMPLATE.format(sign="-", local="f                     # the output, not (1 - f) f", grads=GRADS)
NEURON_SWAPPED = NEURON_TEMPLATE.format(sign="-", local="(1.0 - f) * f", grads='''dx = np.array([x[0] * ddot, x[1] * ddot])   # a multiply gate swaps its inputs: these are swapped twice
    dw = np.array([w[0] * ddot, w[1] * ddot, ddot])''')
NEURON_SIGN = NEURON_TEMPLATE.format(sign="", local="(1.0 - f) * f", grads=GRADS)   # sigmoid(-dot): same (1 - f) f
NEURON_VIEW_OF_W = NEURON_TEMPLATE.format(sign="-", local="(1.0 - f) * f", grads='''dw = np.array([x[0] * ddot, x[1] * ddot, ddot])
    dx = w[:2]                                  # a view of w ...
    dx *= ddot                                  # ... so this scales the caller's weights''')

STAGED_TEMPLATE = '''
def staged_forward_backward(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    dnum = invden
    dinvden = num
    dden = {dden} * dinvden
    dsigx = 1.0 * dden
    dxpysqr = 1.0 * dden
    dxpy = (2 * xpy) * dxpysqr
    dx = 1.0 * dxpy
    dy = 1.0 * dxpy
    {sigx_branch}
    dx += 1.0 * dnum
    dsigy = 1.0 * dnum
    dy += ((1 - sigy) * sigy) * dsigy
    return f, dx, dy
'''
STAGED_ASSIGNS = STAGED_TEMPLATE.format(dden="(-1.0 / (den ** 2))",
                                        sigx_branch="dx = ((1 - sigx) * sigx) * dsigx        # = instead of +=")
STAGED_NO_SIGX = STAGED_TEMPLATE.format(dden="(-1.0 / (den ** 2))", sigx_branch="pass                                    # the sigx branch is missing")
STAGED_DDEN_SIGN = STAGED_TEMPLATE.format(dden="(1.0 / (den ** 2))",
                                          sigx_branch="dx += ((1 - sigx) * sigx) * dsigx")

MATMUL_X_T_DOUT = '''
def matmul_backward(dout, W, X):
    return X.T.dot(dout), W.T.dot(dout)         # dW with the factors in the wrong order
'''
MATMUL_AVERAGED = '''
def matmul_backward(dout, W, X):
    return dout.dot(X.T) / X.shape[1], W.T.dot(dout)   # divided by m, as if it were a mean
'''
WRONG = {
    ("backprop", "neuron_forward_backward"): [
        ("local gradient f", NEURON_LOCAL_F, {"neuron_grads", "neuron_inputs"}),
        ("dw and dx swapped", NEURON_SWAPPED, {"neuron_grads", "neuron_inputs"}),
        ("sigmoid(-dot) (its gradient formula is symmetric)", NEURON_SIGN, {"neuron_value", "neuron_inputs"}),
        ("dx written into a view of w", NEURON_VIEW_OF_W, {"neuron_inputs"})],
    ("backprop", "staged_forward_backward"): [
        ("= instead of += at a fork", STAGED_ASSIGNS, {"staged_grads"}),
        ("a branch forgotten", STAGED_NO_SIGX, {"staged_grads"}),
        ("derivative of 1/den with the wrong sign", STAGED_DDEN_SIGN, {"staged_grads"})],
    ("backprop", "matmul_backward"): [
        ("X.T.dot(dout)", MATMUL_X_T_DOUT, {"matmul_grads", "matmul_inputs"}),
        ("divided by m", MATMUL_AVERAGED, {"matmul_grads", "matmul_inputs"})],
}
