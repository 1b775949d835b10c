module github.com/plantonhq/project-planton

go 1.24

require github.com/pulumi/pulumi/sdk/v3 v3.150.0
