"""Keeps third-party chatter out of every `a2a` command's output."""

from __future__ import annotations

import os
import sys


def quiet_third_party() -> None:
    """What an `a2a` command prints is a2a's: no weight-loading bars, deprecation warnings or kernel-hub
    notices of the libraries it drives (a library's errors still show). Call before they are imported."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(torch|transformers|peft|bitsandbytes)\b")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("bitsandbytes", "transformers", "peft", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if "transformers" in sys.modules:  # read the variables above at import; set them directly once imported
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
