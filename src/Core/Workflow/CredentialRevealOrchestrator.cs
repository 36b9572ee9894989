using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>The one reveal of an approval's temporary password, as its own small instance (id: the approval's id plus
/// <see cref="Suffix"/>). Starting it is the "once": the backend refuses a second instance of the id atomically, so of
/// two concurrent reveals exactly one wins. Its input is the audit record (who, when — never the value); it then
/// destroys the stored secret, retrying until the store agrees.</summary>
public sealed class CredentialRevealOrchestrator : TaskOrchestrator<CredentialRevealInput, CredentialRevealResult>
{
    public const string Suffix = "-credential";

    public static string InstanceIdFor(string approvalId) => approvalId + Suffix;

    static readonly TaskOptions DestroyRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    public override async Task<CredentialRevealResult> RunAsync(TaskOrchestrationContext context, CredentialRevealInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        WorkflowVersions.Require(context);
        var destroyed = await context.CallActivityAsync<bool>(nameof(DestroyCredentialActivity), input.CredentialName, DestroyRetry);
        return new CredentialRevealResult(input.Outcome, input.By, input.At, destroyed);
    }
}

/// <summary>Destroys a stored temporary credential (Key Vault: delete, then purge where the vault allows; the local
/// store: delete). True when it was there; false when it was already gone.</summary>
public sealed class DestroyCredentialActivity(Actions.ICredentialStore store) : TaskActivity<string, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, string input) => store.DestroyAsync(input);
}
