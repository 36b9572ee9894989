using Approvals.Core.Http;
using Approvals.Core.Secrets;
using Approvals.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Approvals.Functions.Http;

/// <summary>The route table of <see cref="ApprovalsApiRoutes"/> as Functions: each a one-line hand-off to
/// <see cref="ApprovalsApi"/> in Core. (Function routes must be attribute constants, so they name the same constants.)
/// Anonymous at the Functions level: a function key is a shared secret that names nobody; every route but the webhook
/// (signed) and health validates the caller's Entra ID bearer token in Core, behind App Service authentication.</summary>
public sealed class ApiFunctions(ApprovalsApi api, IndentWebhookEndpoint webhook, SecretsReadiness readiness)
{
    [Function("StartPasswordReset")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApprovalsApiRoutes.PasswordResets)] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.StartPasswordResetAsync(request, client, request.HttpContext.RequestAborted));

    [Function("ListResources")]
    public async Task<IActionResult> Resources(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApprovalsApiRoutes.Resources)] HttpRequest request) =>
        new ResultAction(await api.ListResourcesAsync(request, request.HttpContext.RequestAborted));

    [Function("StartAccessRequest")]
    public async Task<IActionResult> RequestAccess(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApprovalsApiRoutes.AccessRequests)] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.StartAccessRequestAsync(request, client, request.HttpContext.RequestAborted));

    /// <summary>Every action of <c>ActionCatalog</c>, by name: registering an action needs no Function of its own.</summary>
    [Function("StartAction")]
    public async Task<IActionResult> StartAction(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApprovalsApiRoutes.Actions)] HttpRequest request,
        string action,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.StartActionAsync(action, request, client, request.HttpContext.RequestAborted));

    [Function("GetApproval")]
    public async Task<IActionResult> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApprovalsApiRoutes.Approval)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.GetStatusAsync(id, request, client, request.HttpContext.RequestAborted));

    [Function("CancelApproval")]
    public async Task<IActionResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApprovalsApiRoutes.Cancel)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.CancelAsync(id, request, client, request.HttpContext.RequestAborted));

    [Function("GetApprovalHistory")]
    public async Task<IActionResult> History(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApprovalsApiRoutes.History)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.GetHistoryAsync(id, request, client, request.HttpContext.RequestAborted));

    [Function("RevealCredential")]
    public async Task<IActionResult> Credential(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApprovalsApiRoutes.Credential)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await api.RevealCredentialAsync(id, request, client, request.HttpContext.RequestAborted));

    /// <summary>Anonymous at the Functions level: the v0 signature is its authentication, checked before anything else.</summary>
    [Function("IndentWebhook")]
    public async Task<IActionResult> Webhook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApprovalsApiRoutes.IndentWebhook)] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await webhook.HandleAsync(request, client, request.HttpContext.RequestAborted));

    [Function("Health")]
    public async Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApprovalsApiRoutes.Health)] HttpRequest request) =>
        new ResultAction(await ApprovalsApi.HealthAsync(readiness, request.HttpContext.RequestAborted));

    /// <summary>Runs a minimal-API <see cref="IResult"/> through the Functions ASP.NET Core integration.</summary>
    sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
