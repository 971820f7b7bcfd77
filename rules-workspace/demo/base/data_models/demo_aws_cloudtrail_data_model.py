from demo_aws_helpers import actor_name


def get_actor_user(event):
    # CloudTrail has no single "user" field: root, IAM users and assumed roles
    # each store the principal in a different place.
    return actor_name(event)
