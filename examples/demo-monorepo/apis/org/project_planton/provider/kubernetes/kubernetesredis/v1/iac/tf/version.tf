locals {
  module_version = "dev"
}
