"""IPython configuration of the kernel that executes the book's pages.

execution_cache.py installs it as the default profile of a private IPYTHONDIR.
"""

c = get_config()  # noqa: F821 (IPython provides get_config)

# A cell tagged raises-exception shows its error as the exception line alone.
# A full traceback would print paths of the machine and virtual environment
# that executed the page, which readers do not need and which differ from one
# build machine to the next.
c.InteractiveShell.xmode = "Minimal"
# Nothing the kernel does should be written outside the build folder.
c.HistoryManager.enabled = False
