using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>One pass of the access reconciler, shared by the Functions app's timer trigger and the local host's hosted
/// service: every grant in the ledger whose workflow no longer runs is ended, and every membership none of whose grants
/// is live is compared with the group (Graph's membership check) and removed if one of our grants put it there —
/// whatever crashed, replayed, restarted or was killed.</summary>
public sealed class AccessReconciler(AccessLedger ledger, ILogger<AccessReconciler> logger)
{
    /// <summary>Runs once; returns how many memberships it removed.</summary>
    public async Task<int> RunOnceAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var removed = await ledger.ReconcileAsync(async (id, ct) => await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is { } instance
            && instance.RuntimeStatus is OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended, cancellationToken);
        if (removed > 0)
        {
            logger.LogWarning("Access reconciler removed {Count} membership(s) that outlived their grant", removed);
        }

        return removed;
    }
}
