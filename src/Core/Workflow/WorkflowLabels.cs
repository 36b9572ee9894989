namespace Approvals.Core.Workflow;

/// <summary>Labels we put on petitions and their resources so a webhook event leads back to its workflow.</summary>
public static class WorkflowLabels
{
    /// <summary>On the petition's resource and the petition: the durable instance id.</summary>
    public const string Instance = "approvals.dev/instance";
    public const string User = "approvals.dev/user";
    public const string Action = "approvals.dev/action";

    public const string ResetPasswordAction = "reset-password";

    /// <summary>Time-boxed access to a requestable resource (the instance's user is the requester).</summary>
    public const string AccessAction = "access";
}
