using Approvals.Core.Identity;
using Approvals.Core.Step;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace KeyRotation;

/// <summary>The app's functions: thin wrappers binding the orchestrators and activities (the app's and the approval
/// step's, <see cref="ApprovalStepExtensions.Tasks"/>) under their class names, the starter, and Indent's webhook.</summary>
public sealed class KeyRotationFunctions(IndentWebhookEndpoint webhook)
{
    [Function(nameof(KeyRotationOrchestrator))]
    public static Task<RotationResult> Rotate([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new KeyRotationOrchestrator().RunAsync(context, context.GetInput<RotationRequest>()!);

    [Function(nameof(ApprovalStepOrchestrator))]
    public static Task<ApprovalStepResult> Approve([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new ApprovalStepOrchestrator().RunAsync(context, context.GetInput<ApprovalInput>()!);

    [Function(nameof(RotateKeyActivity))]
    public static Task<RotatedKey> RotateKey([ActivityTrigger] RotateKeyInput input, string instanceId, FunctionContext executionContext) =>
        Run<RotateKeyActivity, RotateKeyInput, RotatedKey>(input, instanceId, executionContext);

    [Function(nameof(ResolveRequesterActivity))]
    public static Task<RequesterResolution> ResolveRequester([ActivityTrigger] Requester input, string instanceId, FunctionContext executionContext) =>
        Run<ResolveRequesterActivity, Requester, RequesterResolution>(input, instanceId, executionContext);

    [Function(nameof(CreatePetitionActivity))]
    public static Task<PetitionRef> CreatePetition([ActivityTrigger] CreatePetitionInput input, string instanceId, FunctionContext executionContext) =>
        Run<CreatePetitionActivity, CreatePetitionInput, PetitionRef>(input, instanceId, executionContext);

    [Function(nameof(GetPetitionActivity))]
    public static Task<PetitionSnapshot> GetPetition([ActivityTrigger] GetPetitionInput input, string instanceId, FunctionContext executionContext) =>
        Run<GetPetitionActivity, GetPetitionInput, PetitionSnapshot>(input, instanceId, executionContext);

    [Function(nameof(ClosePetitionActivity))]
    public static Task<bool> ClosePetition([ActivityTrigger] ClosePetitionInput input, string instanceId, FunctionContext executionContext) =>
        Run<ClosePetitionActivity, ClosePetitionInput, bool>(input, instanceId, executionContext);

    /// <summary><c>POST /api/rotations/{key}</c> with a reason as the body: the caller, as App Service authentication
    /// names them (their Entra object id and name), asks; 202 with the rotation's id.</summary>
    [Function("StartRotation")]
    public static async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "rotations/{key}")] HttpRequest request,
        string key,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (request.Headers["X-MS-CLIENT-PRINCIPAL-ID"].ToString() is not { Length: > 0 } oid)
        {
            return new UnauthorizedResult();
        }

        var name = request.Headers["X-MS-CLIENT-PRINCIPAL-NAME"].ToString();
        using var reader = new StreamReader(request.Body);
        var reason = (await reader.ReadToEndAsync(request.HttpContext.RequestAborted)).Trim();
        if (reason.Length is 0 or > 500)
        {
            return new BadRequestObjectResult("give a reason (at most 500 characters) as the body");
        }

        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(KeyRotationOrchestrator), new RotationRequest(key, reason, new Requester(oid, name, name)));
        return new AcceptedResult($"/api/rotations/{id}", new { id });
    }

    /// <summary>Indent's webhook (the fast path): verified, then each decision wakes the approval step it is for.</summary>
    [Function("IndentWebhook")]
    public async Task<IActionResult> Webhook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/indent")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await webhook.HandleAsync(request, client, request.HttpContext.RequestAborted));
    }

    static Task<TOutput> Run<TActivity, TInput, TOutput>(TInput input, string instanceId, FunctionContext executionContext)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        var activity = executionContext.InstanceServices.GetRequiredService<TActivity>();
        return activity.RunAsync(new ActivityContext(typeof(TActivity).Name, instanceId), input);
    }

    sealed class ActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }

    sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
