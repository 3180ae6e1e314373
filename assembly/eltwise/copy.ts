// placeholder: filled by its kernel family
