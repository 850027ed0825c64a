from .sdm_exclude import Command as ExcludeCommand


class Command(ExcludeCommand):
    help = "Include PIM attributes (or whole attribute groups) in a workflow's project configuration again."
    include = True
