using Approvals.Core.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;

namespace Approvals.Core.Http;

/// <summary>The public HTTP contract as one route table. The local host maps it; the Functions app binds one
/// <c>[Function]</c> per route to the same <see cref="ApprovalsApi"/> handlers (Functions routes are attributes, so
/// they cannot come from here; a test checks the two tables agree).</summary>
public static class ApprovalsApiRoutes
{
    /// <summary>Maps every API route under <see cref="Prefix"/>, with a problem+json 404 for anything else.</summary>
    public static RouteGroupBuilder MapApprovalsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix);
        api.MapPost(PasswordResets, (HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.StartPasswordResetAsync(request, client, ct));
        api.MapGet(Resources, (HttpRequest request, ApprovalsApi handler, CancellationToken ct) => handler.ListResourcesAsync(request, ct));
        api.MapPost(AccessRequests, (HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.StartAccessRequestAsync(request, client, ct));
        api.MapPost(Actions, (string action, HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.StartActionAsync(action, request, client, ct));
        api.MapGet(Approval, (string id, HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.GetStatusAsync(id, request, client, ct));
        api.MapPost(Cancel, (string id, HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.CancelAsync(id, request, client, ct));
        api.MapGet(History, (string id, HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.GetHistoryAsync(id, request, client, ct));
        api.MapPost(Credential, (string id, HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.RevealCredentialAsync(id, request, client, ct));
        api.MapPost(IndentWebhook, (HttpRequest request, IndentWebhookEndpoint webhook, DurableTaskClient client, CancellationToken ct) => webhook.HandleAsync(request, client, ct));
        api.MapGet(Health, (Secrets.SecretsReadiness readiness, CancellationToken ct) => ApprovalsApi.HealthAsync(readiness, ct));
        api.MapFallback(() => ApprovalsApi.Problem(StatusCodes.Status404NotFound, "Not found", "There is no such API route; see the README's HTTP API table."));
        return api;
    }

    // Constants, not a table built at run time: Functions routes are attribute arguments.
    public const string Prefix = "/api", PasswordResets = "password-resets", Resources = "resources", AccessRequests = "access-requests", IndentWebhook = "webhooks/indent", Health = "health", Actions = "actions/{action}";
    public const string Approval = "approvals/{id}", Cancel = Approval + "/cancel", History = Approval + "/history", Credential = Approval + "/credential";
}
