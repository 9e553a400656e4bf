"""The content model: rule files (and later guides, exceptions, scenarios) loaded once."""

from .loader import default_content_dir, load_pack
from .model import Pack, RuleFile

__all__ = ["Pack", "RuleFile", "default_content_dir", "load_pack"]
