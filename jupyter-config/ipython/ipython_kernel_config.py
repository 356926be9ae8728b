"""IPython kernel settings of the cs231n-workbook environment (installed into <env>/etc/ipython/).

ipykernel warns on every start that its channels to the notebook server are plain TCP. JupyterLab
in this environment provisions CurveZMQ keys (jupyter-config/jupyter_server_config.json), so
its kernels are encrypted and never print it. Kernels started by nbval, nbclient or nbgrader
listen on 127.0.0.1 only, with every message signed by the key of a connection file readable by
its owner alone; for them the warning is noise, and only that one message is dropped here.
"""
import logging


class _DropPlainTcpWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "running over TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_DropPlainTcpWarning())
