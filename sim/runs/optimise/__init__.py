"""The policy search: the optimisation file (:mod:`.spec`) and its decisions (:mod:`.decisions`),
the Optuna search (:mod:`.search`) and its trials and frontier (:mod:`.trials`), the recommended
plans verified (:mod:`.verification`), and ``govsim optimise``'s folder (:mod:`.command`)."""
