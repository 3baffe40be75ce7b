terraform {
  # 1.5: `check` blocks and the `import` block, which the README's adoption recipe uses.
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.x: `deletion_protection` on Cloud Run v2 services and jobs, and PromQL alert conditions.
      version = ">= 6.0, < 8.0"
    }
  }
}
