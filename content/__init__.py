"""The pack shipped with elastic-pack (installed as elastic_pack._content): rules, guides, exceptions, scenarios."""
