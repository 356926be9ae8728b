"""Assignment 3, conv_layers: correct implementations written differently from the instructor solution.

Each is how a student (or a published CS231n solution, extended by dilation where our contract
asks for it) might write the function; every one must get full marks for every seed.
``ALTERNATIVES[(notebook, solution grade_id)]`` lists (label, source).
"""

ASSIGNMENT = "assignment3"

SIZE_DIVMOD = '''
def conv_output_size(W, F, S, P, dilation=1):
    effective = dilation * (F - 1) + 1
    steps, rest = divmod(W + 2 * P - effective, S)
    if steps < 0 or rest:
        raise ValueError("Invalid hyperparameters: W=%d, F=%d, S=%d, P=%d (dilation %d)" % (W, F, S, P, dilation))
    return steps + 1
'''
SIZE_NUMPY_INT = '''
def conv_output_size(W, F, S, P, dilation=1):
    span = np.int64(W + 2 * P - dilation * (F - 1) - 1)
    if span < 0 or span % S:
        raise ValueError(f"filter does not fit: input {W}, filter {F}, stride {S}, padding {P}")
    return span // S + 1                                       # a numpy integer
'''

# CS231n-style loops over every index; dilation by inserting zeros into the filters.
CONV_FORWARD_DILATED_FILTERS = '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    d = conv_param.get('dilation', 1)
    F, C, HH, WW = w.shape
    w_dil = np.zeros((F, C, d * (HH - 1) + 1, d * (WW - 1) + 1))
    w_dil[:, :, ::d, ::d] = w
    N, _, H, W = x.shape
    KH, KW = w_dil.shape[2:]
    H_out = 1 + (H + 2 * pad - KH) // stride
    W_out = 1 + (W + 2 * pad - KW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    total = b[f]
                    for c in range(C):
                        total += np.sum(xp[n, c, i * stride:i * stride + KH, j * stride:j * stride + KW] * w_dil[f, c])
                    out[n, f, i, j] = total
    return out, (x, w, b, conv_param)
'''
CONV_BACKWARD_DILATED_FILTERS = '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    d = conv_param.get('dilation', 1)
    F, C, HH, WW = w.shape
    w_dil = np.zeros((F, C, d * (HH - 1) + 1, d * (WW - 1) + 1))
    w_dil[:, :, ::d, ::d] = w
    KH, KW = w_dil.shape[2:]
    N, _, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    dxp, dw_dil = np.zeros_like(xp), np.zeros_like(w_dil)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    g = dout[n, f, i, j]
                    dw_dil[f] += g * xp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
                    dxp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW] += g * w_dil[f]
    db = np.array([dout[:, f].sum() for f in range(F)])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw_dil[:, :, ::d, ::d], db
'''

# The fancy-indexing im2col of CS231n's im2col.py, with our column order (n, h, w) and dilation.
IM2COL_FANCY_INDEX = '''
def _indices(x_shape, HH, WW, stride, pad, dilation):
    N, C, H, W = x_shape
    H_out = (H + 2 * pad - dilation * (HH - 1) - 1) // stride + 1
    W_out = (W + 2 * pad - dilation * (WW - 1) - 1) // stride + 1
    i0 = np.tile(np.repeat(np.arange(HH) * dilation, WW), C)
    j0 = np.tile(np.arange(WW) * dilation, HH * C)
    i1 = stride * np.repeat(np.arange(H_out), W_out)
    j1 = stride * np.tile(np.arange(W_out), H_out)
    k = np.repeat(np.arange(C), HH * WW).reshape(-1, 1)
    return k, i0.reshape(-1, 1) + i1.reshape(1, -1), j0.reshape(-1, 1) + j1.reshape(1, -1)

def im2col(x, HH, WW, stride, pad, dilation=1):
    k, i, j = _indices(x.shape, HH, WW, stride, pad, dilation)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    cols = x_pad[:, k, i, j]                                   # (N, C*HH*WW, H'*W')
    return cols.transpose(1, 0, 2).reshape(cols.shape[1], -1)
'''
IM2COL_SLIDING_WINDOWS = '''
from numpy.lib.stride_tricks import sliding_window_view

def im2col(x, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    span_h, span_w = dilation * (HH - 1) + 1, dilation * (WW - 1) + 1
    windows = sliding_window_view(x_pad, (span_h, span_w), axis=(2, 3))[:, :, ::stride, ::stride, ::dilation, ::dilation]
    # windows: (N, C, H', W', HH, WW) -> rows (c, i, j), columns (n, h, w)
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * HH * WW, -1).copy()
'''
COL2IM_ADD_AT = IM2COL_FANCY_INDEX.split("def im2col")[0] + '''
def col2im(cols, x_shape, HH, WW, stride, pad, dilation=1):
    N, C, H, W = x_shape
    k, i, j = _indices(x_shape, HH, WW, stride, pad, dilation)
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    reshaped = cols.reshape(C * HH * WW, N, -1).transpose(1, 0, 2)
    np.add.at(x_pad, (slice(None), k, i, j), reshaped)
    if pad == 0:
        return x_pad
    return x_pad[:, :, pad:-pad, pad:-pad]
'''

FAST_FORWARD_TENSORDOT = '''
def conv_forward_im2col(x, w, b, conv_param):
    stride, pad, d = conv_param['stride'], conv_param['pad'], conv_param.get('dilation', 1)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_cols = im2col(x, HH, WW, stride, pad, d)
    res = np.tensordot(x_cols.T, w.reshape(F, -1).T, axes=1) + b        # (N*H'*W', F)
    H_out = (H + 2 * pad - d * (HH - 1) - 1) // stride + 1
    out = res.reshape(N, H_out, -1, F).transpose(0, 3, 1, 2)
    cache = (x, w, b, conv_param, x_cols)
    return out, cache
'''
FAST_BACKWARD_EINSUM = '''
def conv_backward_im2col(dout, cache):
    x, w, b, conv_param, x_cols = cache
    stride, pad, d = conv_param['stride'], conv_param['pad'], conv_param.get('dilation', 1)
    F, C, HH, WW = w.shape
    dout_cols = np.moveaxis(dout, 1, 0).reshape(F, -1)
    db = np.einsum('fk->f', dout_cols)
    dw = np.matmul(dout_cols, x_cols.T).reshape(F, C, HH, WW)
    dx_cols = np.matmul(w.reshape(F, -1).T, dout_cols)
    dx = col2im(dx_cols, x.shape, HH, WW, stride, pad, d)
    return dx, dw, db
'''

MAX_POOL_CS231N = '''
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    pool_height, pool_width, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out = 1 + (H - pool_height) // stride
    W_out = 1 + (W - pool_width) // stride
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + pool_height, j * stride:j * stride + pool_width])
    cache = (x, pool_param)
    return out, cache
'''
MAX_POOL_BACKWARD_CS231N = '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    pool_height, pool_width, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * stride:i * stride + pool_height, j * stride:j * stride + pool_width]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + a, j * stride + b] += dout[n, c, i, j]
    return dx
'''
AVG_POOL_SLIDING = '''
from numpy.lib.stride_tricks import sliding_window_view

def avg_pool_forward(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    windows = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    return windows.mean(axis=(-2, -1)), (x, pool_param)
'''
AVG_POOL_BACKWARD_LOOPS = '''
def avg_pool_backward(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    dx[n, c, i * s:i * s + ph, j * s:j * s + pw] += np.full((ph, pw), dout[n, c, i, j] / (ph * pw))
    return dx
'''

NB = "conv_layers"
ALTERNATIVES = {
    (NB, "conv_output_size"): [("divmod", SIZE_DIVMOD), ("numpy integer", SIZE_NUMPY_INT)],
    (NB, "conv_forward_naive"): [("loops over channels, dilated filters", CONV_FORWARD_DILATED_FILTERS)],
    (NB, "conv_backward_naive"): [("dilated filters", CONV_BACKWARD_DILATED_FILTERS)],
    (NB, "im2col"): [("CS231n fancy indexing, (n, h, w) columns", IM2COL_FANCY_INDEX),
                     ("sliding_window_view", IM2COL_SLIDING_WINDOWS)],
    (NB, "col2im"): [("np.add.at", COL2IM_ADD_AT)],
    (NB, "conv_forward_im2col"): [("tensordot", FAST_FORWARD_TENSORDOT)],
    (NB, "conv_backward_im2col"): [("einsum and matmul", FAST_BACKWARD_EINSUM)],
    (NB, "max_pool_forward_naive"): [("CS231n loops", MAX_POOL_CS231N)],
    (NB, "max_pool_backward_naive"): [("CS231n loops with argmax", MAX_POOL_BACKWARD_CS231N)],
    (NB, "avg_pool_forward"): [("sliding_window_view", AVG_POOL_SLIDING)],
    (NB, "avg_pool_backward"): [("loops over every index", AVG_POOL_BACKWARD_LOOPS)],
}
