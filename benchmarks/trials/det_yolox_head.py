"""YOLOX-style decoupled head."""
import torch
import torch.nn as nn


class BaseConv(nn.Module):
    def __init__(self, in_channels, out_channels, ksize, stride, act=True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, ksize, stride, (ksize - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.SiLU(inplace=True) if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class YOLOXHead(nn.Module):
    def __init__(self, num_classes, width=1.0, strides=(8, 16, 32), in_channels=(256, 512, 1024)):
        super().__init__()
        self.num_classes = num_classes
        self.decode_in_inference = True
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        self.cls_preds = nn.ModuleList()
        self.reg_preds = nn.ModuleList()
        self.obj_preds = nn.ModuleList()
        self.stems = nn.ModuleList()
        for i in range(len(in_channels)):
            c = int(256 * width)
            self.stems.append(BaseConv(int(in_channels[i] * width), c, 1, 1))
            self.cls_convs.append(nn.Sequential(BaseConv(c, c, 3, 1), BaseConv(c, c, 3, 1)))
            self.reg_convs.append(nn.Sequential(BaseConv(c, c, 3, 1), BaseConv(c, c, 3, 1)))
            self.cls_preds.append(nn.Conv2d(c, self.num_classes, 1))
            self.reg_preds.append(nn.Conv2d(c, 4, 1))
            self.obj_preds.append(nn.Conv2d(c, 1, 1))
        self.use_l1 = False
        self.l1_loss = nn.L1Loss(reduction="none")
        self.bcewithlog_loss = nn.BCEWithLogitsLoss(reduction="none")
        self.strides = strides
        self.grids = [torch.zeros(1)] * len(in_channels)  # expect: BUF006

    def get_output_and_grid(self, output, k, stride, dtype):
        grid = self.grids[k]
        batch_size = output.shape[0]
        hsize, wsize = output.shape[-2:]
        if grid.shape[2:4] != output.shape[2:4]:
            yv, xv = torch.meshgrid([torch.arange(hsize), torch.arange(wsize)], indexing="ij")
            grid = torch.stack((xv, yv), 2).view(1, 1, hsize, wsize, 2).type(dtype)
            self.grids[k] = grid
        output = output.view(batch_size, 1, -1, hsize, wsize).permute(0, 1, 3, 4, 2)
        output = output.reshape(batch_size, hsize * wsize, -1)
        grid = grid.view(1, -1, 2)
        output[..., :2] = (output[..., :2] + grid) * stride
        output[..., 2:4] = torch.exp(output[..., 2:4]) * stride
        return output, grid

    def forward(self, xin):
        outputs = []
        for k, (stride, x) in enumerate(zip(self.strides, xin)):
            x = self.stems[k](x)
            cls_output = self.cls_preds[k](self.cls_convs[k](x))
            reg_feat = self.reg_convs[k](x)
            reg_output = self.reg_preds[k](reg_feat)
            obj_output = self.obj_preds[k](reg_feat)
            output = torch.cat([reg_output, obj_output.sigmoid(), cls_output.sigmoid()], 1)
            outputs.append(output)
        return outputs
