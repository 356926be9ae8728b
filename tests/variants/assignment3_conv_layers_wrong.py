"""Assignment 3, conv_layers: deliberately wrong implementations of every graded function.

Each is a classic student mistake, or a pasted solution that lacks a part of our contract (e.g. a
dilation-free CS231n convolution). ``WRONG[(notebook, solution grade_id)]`` lists
``(label, source, tests)``: ``tests`` are the hidden tests (suite names without ``test_``) that it
must fail, all of them and only them, for every seed (see variants/__init__.py).
"""

ASSIGNMENT = "assignment3"

SIZE_FLOAT = '''
def conv_output_size(W, F, S, P, dilation=1):
    return (W - (dilation * (F - 1) + 1) + 2 * P) / S + 1        # true division, and no check at all
'''
SIZE_NO_DILATION = '''
def conv_output_size(W, F, S, P, dilation=1):
    if (W - F + 2 * P) % S != 0 or F > W + 2 * P:                 # the dilated size is forgotten
        raise ValueError(f"W={W}, F={F}, S={S}, P={P} do not fit")
    return (W - F + 2 * P) // S + 1
'''
SIZE_ASSERT = '''
def conv_output_size(W, F, S, P, dilation=1):
    extent = dilation * (F - 1) + 1
    assert (W - extent + 2 * P) % S == 0 and extent <= W + 2 * P, f"W={W}, F={F}, S={S}, P={P} do not fit"
    return (W - extent + 2 * P) // S + 1
'''
SIZE_SILENT_MESSAGE = '''
def conv_output_size(W, F, S, P, dilation=1):
    extent = dilation * (F - 1) + 1
    if (W - extent + 2 * P) % S != 0 or extent > W + 2 * P:
        raise ValueError("invalid convolution parameters")            # says nothing about which
    return (W - extent + 2 * P) // S + 1
'''

# The CS231n solution of conv_forward_naive: right for every case without dilation.
CONV_FORWARD_CS231N = '''
def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant', constant_values=0)
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
'''
CONV_FORWARD_FLIPPED = CONV_FORWARD_CS231N.replace(
    "conv_param['stride'], conv_param['pad']\n",
    "conv_param['stride'], conv_param['pad']\n    w = w[:, :, ::-1, ::-1]                                   # a 'real' convolution\n"
).replace("stride, pad = ", "dilation = conv_param.get('dilation', 1)\n    stride, pad = ").replace(
    "H_out = 1 + (H + 2 * pad - HH) // stride", "H_out = 1 + (H + 2 * pad - dilation * (HH - 1) - 1) // stride").replace(
    "W_out = 1 + (W + 2 * pad - WW) // stride", "W_out = 1 + (W + 2 * pad - dilation * (WW - 1) - 1) // stride").replace(
    "x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]",
    "x_pad[n, :, i * stride:i * stride + dilation * (HH - 1) + 1:dilation, j * stride:j * stride + dilation * (WW - 1) + 1:dilation]")
CONV_FORWARD_DILATED = CONV_FORWARD_FLIPPED.replace(
    "    w = w[:, :, ::-1, ::-1]                                   # a 'real' convolution\n", "")
CONV_FORWARD_SETDEFAULT = CONV_FORWARD_DILATED.replace(
    "dilation = conv_param.get('dilation', 1)", "dilation = conv_param.setdefault('dilation', 1)   # writes into conv_param")
CONV_FORWARD_NO_BIAS = CONV_FORWARD_DILATED.replace(" * w[f]) + b[f]", " * w[f])")

CONV_BACKWARD_CS231N = '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dx_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
'''
_DILATE = [("stride, pad = conv_param['stride'], conv_param['pad']",
            "stride, pad = conv_param['stride'], conv_param['pad']\n    d = conv_param.get('dilation', 1)"),
           ("i * stride:i * stride + HH, j * stride:j * stride + WW",
            "i * stride:i * stride + d * (HH - 1) + 1:d, j * stride:j * stride + d * (WW - 1) + 1:d")]


def _apply(source, edits):
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


CONV_BACKWARD_DILATED = _apply(CONV_BACKWARD_CS231N, _DILATE)
CONV_BACKWARD_OVERWRITES = CONV_BACKWARD_DILATED.replace("+= w[f] * dout[n, f, i, j]", "= w[f] * dout[n, f, i, j]")
CONV_BACKWARD_DB_FIRST_EXAMPLE = CONV_BACKWARD_DILATED.replace(
    "db = np.sum(dout, axis=(0, 2, 3))", "db = np.sum(dout[0], axis=(1, 2))                        # only the first example")
CONV_BACKWARD_PADDED_DX = CONV_BACKWARD_DILATED.replace("dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad")

IM2COL_CS231N_ORDER = '''
def im2col(x, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x.shape
    H_out = (H + 2 * pad - dilation * (HH - 1) - 1) // stride + 1
    W_out = (W + 2 * pad - dilation * (WW - 1) - 1) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    i0 = np.tile(np.repeat(np.arange(HH) * dilation, WW), C)
    j0 = np.tile(np.arange(WW) * dilation, HH * C)
    i1 = stride * np.repeat(np.arange(H_out), W_out)
    j1 = stride * np.tile(np.arange(W_out), H_out)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), HH * WW).reshape(-1, 1)
    cols = x_pad[:, k, i, j]                                   # (N, C*HH*WW, H_out*W_out)
    return cols.transpose(1, 2, 0).reshape(C * HH * WW, -1)    # columns in (h, w, n) order
'''
IM2COL_ROWS_TAP_FIRST = '''
def im2col(x, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x.shape
    H_out = conv_output_size(H, HH, stride, pad, dilation)
    W_out = conv_output_size(W, WW, stride, pad, dilation)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    patches = np.empty((HH, WW, C, N, H_out, W_out))
    for i in range(HH):
        for j in range(WW):
            tap = x_pad[:, :, i * dilation:i * dilation + stride * (H_out - 1) + 1:stride,
                        j * dilation:j * dilation + stride * (W_out - 1) + 1:stride]
            patches[i, j] = tap.transpose(1, 0, 2, 3)
    return patches.reshape(HH * WW * C, -1)                    # rows in (i, j, c) order
'''
IM2COL_ALL_LOOPS = '''
def im2col(x, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x.shape
    H_out = conv_output_size(H, HH, stride, pad, dilation)
    W_out = conv_output_size(W, WW, stride, pad, dilation)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.zeros((C * HH * WW, N * H_out * W_out))
    for n in range(N):
        for h in range(H_out):
            for v in range(W_out):
                window = x_pad[n, :, h * stride:h * stride + dilation * (HH - 1) + 1:dilation,
                               v * stride:v * stride + dilation * (WW - 1) + 1:dilation]
                cols[:, (n * H_out + h) * W_out + v] = window.reshape(-1)
    return cols
'''
IM2COL_NO_DILATION = IM2COL_ROWS_TAP_FIRST.replace(
    "patches = np.empty((HH, WW, C, N, H_out, W_out))", "patches = np.empty((C, HH, WW, N, H_out, W_out))").replace(
    "i * dilation:i * dilation + stride", "i:i + stride").replace("j * dilation:j * dilation + stride", "j:j + stride").replace(
    "patches[i, j] = ", "patches[:, i, j] = ").replace("return patches.reshape(HH * WW * C, -1)                    # rows in (i, j, c) order",
                                                     "return patches.reshape(C * HH * WW, -1)   # taps read without dilation")

COL2IM_OVERWRITES = '''
def col2im(cols, x_shape, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x_shape
    H_out = conv_output_size(H, HH, stride, pad, dilation)
    W_out = conv_output_size(W, WW, stride, pad, dilation)
    patches = cols.reshape(C, HH, WW, N, H_out, W_out)
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(HH):
        for j in range(WW):
            x_pad[:, :, i * dilation:i * dilation + stride * (H_out - 1) + 1:stride,
                  j * dilation:j * dilation + stride * (W_out - 1) + 1:stride] = patches[:, i, j].transpose(1, 0, 2, 3)
    return x_pad[:, :, pad:pad + H, pad:pad + W]
'''
COL2IM_PADDED = COL2IM_OVERWRITES.replace("] = patches[:, i, j]", "] += patches[:, i, j]").replace(
    "return x_pad[:, :, pad:pad + H, pad:pad + W]", "return x_pad                                   # padding kept")
COL2IM_ALL_LOOPS = '''
def col2im(cols, x_shape, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x_shape
    H_out = conv_output_size(H, HH, stride, pad, dilation)
    W_out = conv_output_size(W, WW, stride, pad, dilation)
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for n in range(N):
        for h in range(H_out):
            for v in range(W_out):
                x_pad[n, :, h * stride:h * stride + dilation * (HH - 1) + 1:dilation,
                      v * stride:v * stride + dilation * (WW - 1) + 1:dilation] += \\
                    cols[:, (n * H_out + h) * W_out + v].reshape(C, HH, WW)
    return x_pad[:, :, pad:pad + H, pad:pad + W]
'''

FAST_FORWARD = '''
def conv_forward_im2col(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    d = conv_param.get('dilation', 1)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = conv_output_size(H, HH, stride, pad, d), conv_output_size(W, WW, stride, pad, d)
    cols = im2col(x, HH, WW, stride, pad, d)
    out = w.reshape(F, -1) @ cols + b[:, None]
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    return out, (x, w, b, conv_param, cols)
'''
FAST_FORWARD_NO_BIAS = FAST_FORWARD.replace("out = w.reshape(F, -1) @ cols + b[:, None]", "out = w.reshape(F, -1) @ cols")
FAST_FORWARD_NO_TRANSPOSE = FAST_FORWARD.replace(
    "out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)", "out = out.reshape(N, F, H_out, W_out)   # rows are filters, not examples")
FAST_FORWARD_CALLS_NAIVE = '''
def conv_forward_im2col(x, w, b, conv_param):
    out, cache = conv_forward_naive(x, w, b, conv_param)
    stride, pad, d = conv_param['stride'], conv_param['pad'], conv_param.get('dilation', 1)
    return out, cache + (im2col(x, w.shape[2], w.shape[3], stride, pad, d),)
'''
FAST_FORWARD_LOOP_OVER_EXAMPLES = '''
def conv_forward_im2col(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    d = conv_param.get('dilation', 1)
    F, _, HH, WW = w.shape
    outs = []
    for n in range(x.shape[0]):                                  # one image at a time
        cols = im2col(x[n:n + 1], HH, WW, stride, pad, d)
        H_out, W_out = conv_output_size(x.shape[2], HH, stride, pad, d), conv_output_size(x.shape[3], WW, stride, pad, d)
        outs.append((w.reshape(F, -1) @ cols + b[:, None]).reshape(F, H_out, W_out))
    return np.stack(outs), (x, w, b, conv_param, im2col(x, HH, WW, stride, pad, d))
'''

FAST_BACKWARD = '''
def conv_backward_im2col(dout, cache):
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    d = conv_param.get('dilation', 1)
    F, C, HH, WW = w.shape
    D = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    db = D.sum(axis=1)
    dw = (D @ cols.T).reshape(w.shape)
    dx = col2im(w.reshape(F, -1).T @ D, x.shape, HH, WW, stride, pad, d)
    return dx, dw, db
'''
FAST_BACKWARD_DB_AXIS = FAST_BACKWARD.replace("db = D.sum(axis=1)", "db = D.sum(axis=0)                        # summed over filters")
FAST_BACKWARD_DW_TRANSPOSED = FAST_BACKWARD.replace("dw = (D @ cols.T).reshape(w.shape)", "dw = (cols @ D.T).reshape(w.shape)")
FAST_BACKWARD_NO_DILATION = FAST_BACKWARD.replace("d = conv_param.get('dilation', 1)", "d = 1")
FAST_BACKWARD_CALLS_NAIVE = '''
def conv_backward_im2col(dout, cache):
    return conv_backward_naive(dout, cache[:4])
'''

MAX_POOL_MEAN = '''
def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.mean(x[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3))
    return out, (x, pool_param)
'''
MAX_POOL_STRIDE_IS_SIZE = '''
def max_pool_forward_naive(x, pool_param):
    ph, pw = pool_param['pool_height'], pool_param['pool_width']       # the stride is ignored
    N, C, H, W = x.shape
    out = np.zeros((N, C, H // ph, W // pw))
    for i in range(H // ph):
        for j in range(W // pw):
            out[:, :, i, j] = np.max(x[:, :, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw], axis=(2, 3))
    return out, (x, pool_param)
'''
MAX_POOL_BACKWARD = '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    mask = window == np.max(window)
                    dx[n, c, i * s:i * s + ph, j * s:j * s + pw] += mask * dout[n, c, i, j]
    return dx
'''
MAX_POOL_BACKWARD_OVERWRITES = MAX_POOL_BACKWARD.replace("+= mask * dout[n, c, i, j]", "= mask * dout[n, c, i, j]")
MAX_POOL_BACKWARD_EVERY_PIXEL = MAX_POOL_BACKWARD.replace("mask = window == np.max(window)", "mask = np.ones_like(window)")
MAX_POOL_BACKWARD_MINIMUM = MAX_POOL_BACKWARD.replace("np.max(window)", "np.min(window)")

AVG_POOL_SUM = MAX_POOL_MEAN.replace("max_pool_forward_naive", "avg_pool_forward").replace("np.mean(", "np.sum(")
AVG_POOL_DIVIDES_BY_HEIGHT = AVG_POOL_SUM.replace(
    "np.sum(x[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3))",
    "np.sum(x[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3)) / ph")
AVG_POOL_BACKWARD = '''
def avg_pool_backward(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
    return dx
'''
AVG_POOL_BACKWARD_NOT_DIVIDED = AVG_POOL_BACKWARD.replace(" / (ph * pw)", "")
AVG_POOL_BACKWARD_OVERWRITES = AVG_POOL_BACKWARD.replace("+= dout[:, :, i:i + 1, j:j + 1]", "= dout[:, :, i:i + 1, j:j + 1]")


def tests_of(name, *suffixes):
    """The names of ``name``'s tests with these suffixes (the suite names them test_<name>_<suffix>)."""
    return {f"{name}_{x}" for x in suffixes}


CONV_ALL = ("values", "dilation", "inputs_unchanged")
NB = "conv_layers"
WRONG = {
    (NB, "conv_output_size"): [
        ("true division, no check", SIZE_FLOAT, tests_of("conv_output_size", "int", "raises")),
        ("dilation ignored", SIZE_NO_DILATION, tests_of("conv_output_size", "dilation")),
        ("assert instead of ValueError", SIZE_ASSERT, tests_of("conv_output_size", "raises")),
        ("ValueError without the numbers", SIZE_SILENT_MESSAGE, tests_of("conv_output_size", "raises"))],
    (NB, "conv_forward_naive"): [
        ("CS231n solution without dilation", CONV_FORWARD_CS231N, tests_of("conv_forward_naive", "dilation")),
        ("filters flipped (a true convolution)", CONV_FORWARD_FLIPPED, tests_of("conv_forward_naive", *CONV_ALL)),
        ("conv_param.setdefault", CONV_FORWARD_SETDEFAULT, tests_of("conv_forward_naive", "inputs_unchanged")),
        ("no bias", CONV_FORWARD_NO_BIAS, tests_of("conv_forward_naive", *CONV_ALL))],
    (NB, "conv_backward_naive"): [
        ("CS231n solution without dilation", CONV_BACKWARD_CS231N, tests_of("conv_backward_naive", "dilation")),
        ("dx overwritten where windows overlap", CONV_BACKWARD_OVERWRITES, tests_of("conv_backward_naive", *CONV_ALL)),
        ("db of the first example only", CONV_BACKWARD_DB_FIRST_EXAMPLE, tests_of("conv_backward_naive", *CONV_ALL)),
        ("dx keeps the padding", CONV_BACKWARD_PADDED_DX, tests_of("conv_backward_naive", *CONV_ALL))],
    (NB, "im2col"): [
        ("CS231n column order (h, w, n)", IM2COL_CS231N_ORDER, tests_of("im2col", *CONV_ALL, "loops")),
        ("rows in (i, j, c) order", IM2COL_ROWS_TAP_FIRST, tests_of("im2col", *CONV_ALL, "loops")),
        ("loops over examples and positions", IM2COL_ALL_LOOPS, tests_of("im2col", "loops")),
        ("dilation ignored", IM2COL_NO_DILATION, tests_of("im2col", "dilation"))],
    (NB, "col2im"): [
        ("overlaps overwrite instead of adding", COL2IM_OVERWRITES, tests_of("col2im", *CONV_ALL, "loops")),
        ("padding kept", COL2IM_PADDED, tests_of("col2im", *CONV_ALL, "loops")),
        ("loops over examples and positions", COL2IM_ALL_LOOPS, tests_of("col2im", "loops"))],
    (NB, "conv_forward_im2col"): [
        ("no bias", FAST_FORWARD_NO_BIAS, tests_of("conv_forward_im2col", *CONV_ALL, "no_loops")),
        ("reshaped without the transpose", FAST_FORWARD_NO_TRANSPOSE, tests_of("conv_forward_im2col", *CONV_ALL, "no_loops")),
        ("calls the naive version", FAST_FORWARD_CALLS_NAIVE, tests_of("conv_forward_im2col", "no_loops")),
        ("a loop over the examples", FAST_FORWARD_LOOP_OVER_EXAMPLES, tests_of("conv_forward_im2col", "no_loops"))],
    (NB, "conv_backward_im2col"): [
        ("db summed over the filters", FAST_BACKWARD_DB_AXIS, tests_of("conv_backward_im2col", *CONV_ALL, "no_loops")),
        ("dw from the transposed product", FAST_BACKWARD_DW_TRANSPOSED,
         tests_of("conv_backward_im2col", *CONV_ALL, "no_loops")),
        ("dilation ignored", FAST_BACKWARD_NO_DILATION, tests_of("conv_backward_im2col", "dilation")),
        ("calls the naive version", FAST_BACKWARD_CALLS_NAIVE, tests_of("conv_backward_im2col", "no_loops"))],
    (NB, "max_pool_forward_naive"): [
        ("mean instead of max", MAX_POOL_MEAN, tests_of("max_pool_forward_naive", "values", "inputs_unchanged")),
        ("stride ignored", MAX_POOL_STRIDE_IS_SIZE, tests_of("max_pool_forward_naive", "values", "inputs_unchanged"))],
    (NB, "max_pool_backward_naive"): [
        ("overlaps overwrite instead of adding", MAX_POOL_BACKWARD_OVERWRITES, tests_of("max_pool_backward_naive", "overlapping")),
        ("gradient to every pixel of the window", MAX_POOL_BACKWARD_EVERY_PIXEL,
         tests_of("max_pool_backward_naive", "values", "overlapping", "inputs_unchanged")),
        ("routed to the minimum", MAX_POOL_BACKWARD_MINIMUM,
         tests_of("max_pool_backward_naive", "values", "overlapping", "inputs_unchanged"))],
    (NB, "avg_pool_forward"): [
        ("sum instead of mean", AVG_POOL_SUM, tests_of("avg_pool_forward", "values", "inputs_unchanged")),
        ("divided by pool_height only", AVG_POOL_DIVIDES_BY_HEIGHT, tests_of("avg_pool_forward", "values", "inputs_unchanged"))],
    (NB, "avg_pool_backward"): [
        ("not divided by the window size", AVG_POOL_BACKWARD_NOT_DIVIDED,
         tests_of("avg_pool_backward", "values", "overlapping", "inputs_unchanged")),
        ("overlaps overwrite instead of adding", AVG_POOL_BACKWARD_OVERWRITES, tests_of("avg_pool_backward", "overlapping"))],
}
