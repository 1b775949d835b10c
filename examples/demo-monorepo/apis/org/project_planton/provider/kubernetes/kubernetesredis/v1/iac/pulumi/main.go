package main

import (
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The real modules read the manifest from STACK_INPUT_YAML_FILE and create Kubernetes resources;
// this demo module only exports what it was given.
func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		ctx.Export("stackInput", pulumi.String(os.Getenv("STACK_INPUT_YAML_FILE")))
		ctx.Export("kubeContext", pulumi.String(os.Getenv("KUBE_CTX")))
		return nil
	})
}
