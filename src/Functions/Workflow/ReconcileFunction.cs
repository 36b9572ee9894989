using Approvals.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Functions.Workflow;

/// <summary>The access reconciler (<see cref="AccessReconciler"/>) on a timer: the schedule is the app setting
/// <c>APPROVALS_RECONCILE_SCHEDULE</c> (<see cref="ReconcileOptions"/>, validated at start). One instance runs at a time
/// however far the app scales out, and a failed run is not retried until the next occurrence
/// (https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-timer: "Scale-out", "Retry behavior").</summary>
public static class ReconcileFunction
{
    public const string Name = "ReconcileAccess";

    [Function(Name)]
    public static async Task Reconcile(
        [TimerTrigger("%" + ReconcileOptions.ScheduleSetting + "%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        FunctionContext executionContext)
    {
        ArgumentNullException.ThrowIfNull(executionContext);
        await executionContext.InstanceServices.GetRequiredService<AccessReconciler>().RunOnceAsync(client, executionContext.CancellationToken);
    }
}
