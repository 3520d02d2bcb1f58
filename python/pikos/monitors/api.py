"""The seed's monitors.

Every monitor records while enabled (``enable()``/``disable()``, ``with``,
``@monitor.attach``); the events are handled by the C monitor plugins.
"""
from pikos.monitors.function_set import FunctionSet
from pikos.monitors.monitor import Monitor
from pikos.monitors.monitor_attach import FocusedMonitorAttach, \
    MonitorAttach
from pikos.monitors.plugin_monitor import PluginMonitor
from pikos.monitors.standard import FocusedFunctionMemoryMonitor, \
    FocusedFunctionMonitor, FocusedLineMemoryMonitor, FocusedLineMonitor, \
    FunctionMemoryMonitor, FunctionMonitor, LineMemoryMonitor, LineMonitor

__all__ = ["Monitor", "FunctionMonitor", "LineMonitor",
           "FunctionMemoryMonitor", "LineMemoryMonitor",
           "FocusedFunctionMonitor", "FocusedLineMonitor",
           "FocusedFunctionMemoryMonitor", "FocusedLineMemoryMonitor",
           "MonitorAttach", "FocusedMonitorAttach", "FunctionSet",
           "PluginMonitor"]
