"""A throwaway fifth provider, Quillbook, made as a built-in is: an adapter, an emulator
and a test fixture module (its docs page and cassettes are left out on purpose, to show
the suites name them). `plugin` registers it the way a built-in is registered, for a
pytest run that loads it with ``-p tests.fifth_provider.plugin``."""
