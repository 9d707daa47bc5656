"""HTTP layer: dependencies, the role policy and one router per resource."""
