# No external providers: terraform_data is built into Terraform and OpenTofu, so nothing is downloaded.
terraform {
  required_version = ">= 1.4"
}
