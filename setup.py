"""The NTP worker's native fast path; everything else about the package is in pyproject.toml.

Optional: without a C compiler or OpenSSL's headers the install goes on and the workers
answer every request in Python (services/ntp/fast.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "services.ntp._fastpath",
            ["services/ntp/_fastpath.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2", "-Wall"],
            optional=True,
        )
    ]
)
