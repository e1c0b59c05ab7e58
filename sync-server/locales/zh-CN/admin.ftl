# The administrators' and the desk's pages.
