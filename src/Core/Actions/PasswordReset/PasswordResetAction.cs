namespace Approvals.Core.Actions.PasswordReset;

/// <summary>The password reset on the action contract: a temporary password set on the user (to be changed at the next
/// sign-in), kept in the credential store and revealed once to the requester. The work is
/// <see cref="PasswordResetService"/>'s, which decides from the store and the directory's own record
/// (<c>lastPasswordChangeDateTime</c>) whether this approval's reset already happened. Its public route
/// (<c>POST /api/password-resets</c>) and CLI command (<c>reset-password</c>) stay as they were; both start this action.</summary>
public sealed class PasswordResetAction(PasswordResetService resets) : ISensitiveAction, IDescribedAction
{
    public static ActionDescription Descriptor { get; } = new(
        Name: Workflow.WorkflowLabels.ResetPasswordAction,
        Verb: "reset-password",
        Title: "Reset Password",
        Summary: "Reset a user's password to a temporary one, revealed once to the requester and changed at the next sign-in.",
        Fields: [],
        Secret: "temporary password",
        Implementation: typeof(PasswordResetAction))
    {
        CredentialLabel = "pw", // the store's names from before the contract: tmp-pw-{hash}, as PasswordResetService names them
        ReasonHint = "say why the password must be reset",
        Doing = "resetting its password",
    };

    public void Validate(ActionParameters parameters, IDictionary<string, string[]> errors)
    {
        // No fields of its own: the user, the reason and the deadline are checked by the generic start.
    }

    /// <summary>Nothing beyond "the user exists and is enabled", which the generic start checks.</summary>
    public Task<ActionRefusal?> CheckTargetAsync(DirectoryUser target, ActionParameters parameters, CancellationToken cancellationToken) =>
        Task.FromResult<ActionRefusal?>(null);

    public async Task<ActionOutcome> ActAsync(ActionRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var done = await resets.ResetAsync(run.InstanceId, run.UserId, cancellationToken);
        return new ActionOutcome("password reset", run.CredentialName, done.CredentialReference, done.ExpiresOn, done.ForceChangeAtNextSignIn);
    }
}
