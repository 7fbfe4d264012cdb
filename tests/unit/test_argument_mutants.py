"""Argument mutants pin one parameter of one contract function, and the mutated code still runs."""

from harness.authoring.argument_mutants import argument_mutants

SOURCE = '''"""A module."""


def train(model, x, epochs=5, *, batch_size=32):
    """Train."""
    # BEGIN SOLUTION
    return (model, x, epochs, batch_size)
    # END SOLUTION


def _private(a):
    return a


class Corridor:
    def __init__(self, length, slip=0.1):
        self.length, self.slip = length, slip

    def step(self, action):
        return action
'''


def test_one_mutant_per_parameter_of_public_functions_and_methods():
    keys = [mutant.key for mutant in argument_mutants(SOURCE)]
    assert keys == [
        "train.model",
        "train.x",
        "train.epochs",
        "train.batch_size",
        "Corridor.__init__.length",
        "Corridor.__init__.slip",
        "Corridor.step.action",
    ]


def test_a_default_is_pinned_to_itself_and_a_required_one_to_its_first_value():
    mutants = {mutant.key: mutant for mutant in argument_mutants(SOURCE)}
    namespace: dict = {}
    exec(compile(mutants["train.epochs"].apply(SOURCE), "m", "exec"), namespace)
    assert namespace["train"]("m", "x", epochs=10) == ("m", "x", 5, 32)
    namespace = {}
    exec(compile(mutants["train.x"].apply(SOURCE), "m", "exec"), namespace)
    assert namespace["train"]("m", "first")[1] == "first" and namespace["train"]("m", "second")[1] == "first"
    namespace = {}
    exec(compile(mutants["Corridor.__init__.slip"].apply(SOURCE), "m", "exec"), namespace)
    assert namespace["Corridor"](3, slip=0.5).slip == 0.1
