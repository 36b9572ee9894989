using Approvals.Core.Identity;
using DurableTask.Core.Query;
using DurableTask.Core.Serializing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Approvals.Local.Engine;

/// <summary>The engine's raw record, read-only, on the local host: what Durable Functions' built-in instance API serves
/// in Azure (GET /runtime/webhooks/durabletask/instances, and one instance with showHistory, showHistoryOutput and
/// showInput: learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api) — every instance with its
/// input, output and custom status, and one instance's full history with every input and result, as DurableTask.Core
/// serializes them. The reliability suite lists instances and scans the in-memory engine's state here (the audit
/// endpoint leaves inputs and outputs out by design). Approvals.Admin only: in Azure the same API needs the system key.</summary>
public static class EngineInstancesEndpoints
{
    public const string Route = "/runtime/webhooks/durabletask/instances";

    public static IEndpointRouteBuilder MapEngineInstances(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, async (HttpContext http, DurableEngine engine, CancellationToken ct) =>
        {
            if ((await CallerAuthentication.AuthenticateAsync(http, ApprovalsRoles.Admin)).Refusal is { } refusal)
            {
                return (IResult)refusal;
            }

            var states = new List<DurableTask.Core.OrchestrationState>();
            var query = new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 1000 };
            do
            {
                var page = await engine.Service.GetOrchestrationWithQueryAsync(query, ct);
                states.AddRange(page.OrchestrationState);
                query.ContinuationToken = page.ContinuationToken;
            }
            while (!string.IsNullOrEmpty(query.ContinuationToken));

            return Results.Text(JsonDataConverter.Default.Serialize(states), "application/json");
        });
        app.MapGet(Route + "/{instanceId}", async (string instanceId, HttpContext http, DurableEngine engine) =>
        {
            if ((await CallerAuthentication.AuthenticateAsync(http, ApprovalsRoles.Admin)).Refusal is { } refusal)
            {
                return (IResult)refusal;
            }

            var state = (await engine.Service.GetOrchestrationStateAsync(instanceId, allExecutions: false))?.FirstOrDefault();
            if (state is null)
            {
                return Results.NotFound();
            }

            // The in-memory engine's own record, or the task hub's stored history (Azure Storage), inputs and results included.
            var history = engine.Service.RecordedHistory(instanceId) is { } recorded
                ? JsonDataConverter.Default.Serialize(recorded)
                : await engine.Service.GetOrchestrationHistoryAsync(instanceId, null!) ?? "[]";
            return Results.Text($"{{\"state\":{JsonDataConverter.Default.Serialize(state)},\"historyEvents\":{history}}}", "application/json");
        });
        return app;
    }
}
