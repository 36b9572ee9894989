using Approvals.Core.Actions;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>What both action activities do once the grant is verified: claim the approval's fence (a cancel that claimed it
/// first stops the act: <see cref="CancelledBeforeActionException"/>), run the action, record its duration, and log only
/// the reference of any secret.</summary>
public sealed class ActionRunner(IServiceProvider services, ActionFence fence, ILogger<ActionRunner> logger)
{
    public async Task<ActionOutcome> RunAsync(RunActionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ActionCatalog.Find(input.Action) is null)
        {
            throw new PermanentActivityFailureException($"There is no action '{input.Action}' in this build.");
        }

        await fence.ClaimActOrThrowAsync(input.InstanceId);
        var action = ActionCatalog.Resolve(services, input.Action);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.action." + input.Action);
        span?.SetTag("approvals.instance", input.InstanceId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = "failed";
        try
        {
            var run = new ActionRun(input.InstanceId, input.UserId, input.Parameters ?? ActionParameters.None, input.RequestedAt, ActionCatalog.CredentialName(input.Action, input.InstanceId));
            var outcome = await action.ActAsync(run, CancellationToken.None);
            result = "done";
            logger.LogInformation("Action {Action} done for {UserId}, approval {InstanceId} (petition {Petition}); credential stored as {Reference}", input.Action, input.UserId, input.InstanceId, input.PetitionName, outcome.CredentialReference);
            return outcome;
        }
        finally
        {
            Telemetry.ApprovalsTelemetry.ActionDuration.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("outcome", result), new KeyValuePair<string, object?>("action", input.Action));
        }
    }
}
