"""The wizard at /networks/new: a network file filled in six steps, kept as a draft after every step."""
